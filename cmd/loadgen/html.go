package main

import (
	"errors"
	"html"
	"net/url"
	"regexp"
	"strings"
)

// The pages are the server's own templ output: well-formed, attributes in
// double quotes. These helpers read just what a browser would submit or a
// user would pick, without an HTML library.

// tag is one start tag: its name, attributes and where it ends in the page.
type tag struct {
	name  string
	attrs map[string]string
	end   int // index just past '>'
}

func (t tag) has(attr string) bool { _, ok := t.attrs[attr]; return ok }

var attrRe = regexp.MustCompile(`([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?`)

// interesting are the elements tags reports.
var interesting = map[string]bool{"input": true, "select": true, "option": true, "textarea": true, "form": true, "a": true}

// tags lists the start tags of the interesting elements in s, in order. A
// tag ends at the first '>': the server escapes it inside attribute values.
func tags(s string) []tag {
	var out []tag
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return out
		}
		i += j + 1
		n := 0
		for i+n < len(s) && isNameByte(s[i+n]) {
			n++
		}
		name := strings.ToLower(s[i : i+n])
		if n == 0 || !interesting[name] {
			continue
		}
		e := strings.IndexByte(s[i+n:], '>')
		if e < 0 {
			return out
		}
		out = append(out, tag{name: name, attrs: parseAttrs(s[i+n : i+n+e]), end: i + n + e + 1})
		i += n + e + 1
	}
}

func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func parseAttrs(s string) map[string]string {
	attrs := map[string]string{}
	for _, m := range attrRe.FindAllStringSubmatch(s, -1) {
		v := m[2]
		if v == "" {
			v = m[3]
		}
		if v == "" {
			v = m[4]
		}
		attrs[strings.ToLower(m[1])] = html.UnescapeString(v)
	}
	return attrs
}

// inputValue returns the value of the first input or textarea whose
// attribute key is val (for example name="_csrf" or id="new-token").
func inputValue(page, key, val string) (string, bool) {
	for _, t := range tags(page) {
		switch {
		case t.attrs[key] != val:
		case t.name == "input":
			return t.attrs["value"], true
		case t.name == "textarea":
			return textareaText(page[t.end:]), true
		}
	}
	return "", false
}

// textareaText is the text of a textarea whose start tag ends where s
// begins.
func textareaText(s string) string {
	if e := strings.Index(s, "</textarea>"); e >= 0 {
		s = s[:e]
	}
	return html.UnescapeString(s)
}

// csrfToken is the page's CSRF token (every signed-in page has one in its
// sign-out form; forms carry it too).
func csrfToken(page string) (string, error) {
	v, ok := inputValue(page, "name", "_csrf")
	if !ok || v == "" {
		return "", errors.New("no _csrf input on the page")
	}
	return v, nil
}

// formValues returns what a browser submits for the first form whose
// action is action (path, ignoring any query): hidden, text, number and
// password inputs, checked radios and checkboxes, each select's selected
// option (the first when none is), textareas. Disabled controls and
// buttons are left out, as a browser leaves them out.
func formValues(page, action string) (url.Values, error) {
	start, end := -1, -1
	for _, t := range tags(page) {
		if t.name != "form" {
			continue
		}
		got := t.attrs["action"]
		if i := strings.IndexByte(got, '?'); i >= 0 {
			got = got[:i]
		}
		if got == action {
			start = t.end
			if e := strings.Index(page[start:], "</form>"); e >= 0 {
				end = start + e
			}
			break
		}
	}
	if start < 0 || end < 0 {
		return nil, errors.New("no form with action " + action)
	}
	body := page[start:end]
	v := url.Values{}
	ts := tags(body)
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		name := t.attrs["name"]
		if name == "" || t.has("disabled") {
			continue
		}
		switch t.name {
		case "input":
			switch strings.ToLower(t.attrs["type"]) {
			case "radio", "checkbox":
				if t.has("checked") {
					val, ok := t.attrs["value"]
					if !ok {
						val = "on"
					}
					v.Add(name, val)
				}
			case "submit", "button", "image", "reset", "file":
			default:
				v.Add(name, t.attrs["value"])
			}
		case "select":
			var opts []tag
			closeAt := strings.Index(body[t.end:], "</select>")
			for i+1 < len(ts) && ts[i+1].name == "option" && (closeAt < 0 || ts[i+1].end <= t.end+closeAt) {
				i++
				opts = append(opts, ts[i])
			}
			if len(opts) == 0 {
				continue
			}
			chosen := opts[0].attrs["value"]
			for _, o := range opts {
				if o.has("selected") {
					chosen = o.attrs["value"]
					break
				}
			}
			v.Add(name, chosen)
		case "textarea":
			v.Add(name, textareaText(body[t.end:]))
		}
	}
	return v, nil
}

// selectOptions lists the option values of the select named name, in
// order (the empty "any" value included).
func selectOptions(page, name string) []string {
	ts := tags(page)
	for i, t := range ts {
		if t.name != "select" || t.attrs["name"] != name {
			continue
		}
		closeAt := strings.Index(page[t.end:], "</select>")
		var out []string
		for j := i + 1; j < len(ts) && ts[j].name == "option" && (closeAt < 0 || ts[j].end <= t.end+closeAt); j++ {
			out = append(out, ts[j].attrs["value"])
		}
		return out
	}
	return nil
}

// row is one row of a queue or active-tokens page: its grant id and the
// token's name (from the row's checkbox).
type row struct {
	id, name string
}

// grantRows lists the rows of a Pending requests or Active tokens page.
func grantRows(page string) []row {
	var out []row
	for _, t := range tags(page) {
		if t.name == "input" && t.attrs["name"] == "id" && strings.EqualFold(t.attrs["type"], "checkbox") {
			out = append(out, row{id: t.attrs["value"], name: strings.TrimPrefix(t.attrs["aria-label"], "Select ")})
		}
	}
	return out
}

// linksWithPrefix lists the distinct hrefs of links starting with prefix,
// in page order.
func linksWithPrefix(page, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tags(page) {
		if h := t.attrs["href"]; t.name == "a" && strings.HasPrefix(h, prefix) && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}
