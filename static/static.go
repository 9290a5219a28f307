// Package static embeds the project's own stylesheet and script.
package static

import "embed"

// FS holds app.css, app.js and the images they and the layout use.
//
//go:embed app.css app.js avatar.svg favicon.svg
var FS embed.FS
