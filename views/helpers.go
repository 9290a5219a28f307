package views

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// initial is the letter shown in an avatar.
func initial(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return "?"
	}
	return strings.ToUpper(string(r))
}

// describedBy joins a base id with the ids whose condition holds, for
// aria-describedby. Pairs are (condition, id).
func describedBy(base string, pairs ...any) string {
	ids := []string{}
	if base != "" {
		ids = append(ids, base)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if ok, _ := pairs[i].(bool); ok {
			ids = append(ids, pairs[i+1].(string))
		}
	}
	return strings.Join(ids, " ")
}

// unreadCount shows a count that stops at 99.
func unreadCount(n int) string {
	if n > 99 {
		return "99+"
	}
	return strconv.Itoa(n)
}
