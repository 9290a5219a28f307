package policy

import (
	"fmt"
	"strings"
	"testing"
)

// misleadingSamples are characters that show as nothing or reorder the text
// around them, each with what it is.
var misleadingSamples = map[rune]string{
	0x202A: "left-to-right embedding", 0x202B: "right-to-left embedding", 0x202C: "pop directional formatting",
	0x202D: "left-to-right override", 0x202E: "right-to-left override",
	0x2066: "left-to-right isolate", 0x2067: "right-to-left isolate", 0x2068: "first strong isolate", 0x2069: "pop directional isolate",
	0x200B: "zero width space", 0x200C: "zero width non-joiner", 0x200D: "zero width joiner",
	0x200E: "left-to-right mark", 0x200F: "right-to-left mark",
	0xFEFF: "byte order mark", 0x2060: "word joiner", 0x00AD: "soft hyphen", 0x180E: "Mongolian vowel separator",
	0x2028: "line separator", 0x2029: "paragraph separator", 0x3164: "Hangul filler", 0xE0041: "tag latin capital A",
}

// Every text that owners read refuses characters that make it read as
// something else, naming the character, and changes nothing.
func TestTextRefusesInvisibleAndFormatCharacters(t *testing.T) {
	for r, what := range misleadingSamples {
		text := "deploy" + string(r) + "bot"
		code := fmt.Sprintf("U+%04X", r)
		wantOne := func(t *testing.T, errs Errors, f Field) {
			t.Helper()
			if len(errs) != 1 || errs[0].Field != f || !strings.Contains(errs[0].Message, code) {
				t.Errorf("%s (%s): errors %v, want one on %s naming %s", code, what, errs, f, code)
			}
		}
		t.Run(what, func(t *testing.T) {
			for _, target := range []*TokenTarget{nil, tokenTarget(ApprovalRequired, false)} {
				in := validTokenInput()
				in.Name = text
				_, errs := CheckTokenRequest(in, target)
				wantOne(t, errs, FieldTokenName)
				in = validTokenInput()
				in.Description = "Housekeeping " + text
				_, errs = CheckTokenRequest(in, target)
				wantOne(t, errs, FieldDescription)
			}
			in := validTokenInput()
			in.Justification = text
			_, errs := CheckTokenRequest(in, tokenTarget(ApprovalRequired, false))
			wantOne(t, errs, FieldJustification)
			_, errs = CheckClassicRequest(ClassicInput{Note: text, Expiration: "30"})
			wantOne(t, errs, FieldNote)
			_, errs = CheckReason(text)
			wantOne(t, errs, FieldReason)
		})
	}
}

// Text in any script is still welcome, right-to-left ones included: only
// the invisible controls are refused.
func TestTextAcceptsEveryScript(t *testing.T) {
	for _, s := range []string{"déploiement", "שלום עולם", "مرحبا", "デプロイ", "Ελληνικά", "deploy 🚀", "naïve—café"} {
		in := validTokenInput()
		in.Name, in.Description = s, s
		checkOK(t, in, nil)
		if _, errs := CheckClassicRequest(ClassicInput{Note: s, Expiration: "30"}); errs != nil {
			t.Errorf("note %q: %v", s, errs)
		}
		if _, errs := CheckReason(s); errs != nil {
			t.Errorf("reason %q: %v", s, errs)
		}
	}
}

// A name typed with a combining accent is the same name as one typed with
// the accented letter: both are kept in normal form C, the form compared.
func TestTextIsKeptInNormalFormC(t *testing.T) {
	const composed, decomposed = "caf\u00e9-bot", "cafe\u0301-bot"
	in := validTokenInput()
	in.Name, in.Description, in.Justification = decomposed, decomposed, decomposed
	req := checkOK(t, in, tokenTarget(ApprovalRequired, false))
	if req.Name != composed || req.Description != composed || req.Justification != composed {
		t.Errorf("stored %q, %q, %q; want each as %q", req.Name, req.Description, req.Justification, composed)
	}
	if c, errs := CheckClassicRequest(ClassicInput{Note: decomposed, Expiration: "30"}); errs != nil || c.Note != composed {
		t.Errorf("note %q, %v; want %q", c.Note, errs, composed)
	}
	if r, errs := CheckReason(" " + decomposed + " "); errs != nil || r != composed {
		t.Errorf("reason %q, %v; want %q", r, errs, composed)
	}
	// 40 characters once composed, though 80 as typed.
	in.Name = strings.Repeat("e\u0301", MaxTokenName)
	if req := checkOK(t, in, nil); req.Name != strings.Repeat("\u00e9", MaxTokenName) {
		t.Errorf("name %q", req.Name)
	}
}
