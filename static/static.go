// Package static embeds the project's own stylesheet and script.
package static

import "embed"

// FS holds app.css and app.js.
//
//go:embed app.css app.js avatar.svg
var FS embed.FS
