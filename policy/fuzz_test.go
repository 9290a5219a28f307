package policy

// Fuzz targets for the rules that meet raw user input: token strings, the
// settings changes of both forms and of the API, new-token requests,
// review reasons and SSH keys. Their seed corpora are committed under
// testdata/fuzz/<FuzzName>/; `make fuzz-short` runs each one for a few
// seconds, and `go test` alone runs the seeds as ordinary tests.
//
// Each target states what must hold for every input: no panic, and what an
// accepted input may contain; on refusal, nothing of the input is applied.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fzStream is a deterministic byte stream drawn from a seed, for
// GenerateToken: it never runs dry, so the generator always finishes.
type fzStream struct {
	state [32]byte
	buf   []byte
}

func newFzStream(seed string) *fzStream { return &fzStream{state: sha256.Sum256([]byte(seed))} }

func (s *fzStream) Read(p []byte) (int, error) {
	for i := range p {
		if len(s.buf) == 0 {
			s.state = sha256.Sum256(s.state[:])
			s.buf = s.state[:]
		}
		p[i], s.buf = s.buf[0], s.buf[1:]
	}
	return len(p), nil
}

// The token formats, written independently of ParseToken.
var (
	fzFineGrainedRE = regexp.MustCompile(`^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$`)
	fzClassicRE     = regexp.MustCompile(`^ghp_[A-Za-z0-9]{36}$`)
)

func FuzzParseToken(f *testing.F) {
	fg, _ := GenerateToken(KindFineGrained, newFzStream("seed"))
	classic, _ := GenerateToken(KindClassic, newFzStream("seed"))
	for _, s := range []string{
		"", fg, classic,
		classic[:len(classic)-1] + "0", // wrong checksum (unless it was 0)
		fg[:len(fg)-1] + "-",           // a character outside base62
		fg + "\n", " " + classic,       // surrounding space
		"github_pat_", "ghp_", // prefixes alone
		strings.Repeat("a", FineGrainedLength), strings.Repeat("\xff", ClassicLength),
		"ghp_" + strings.Repeat("é", 18), // the right length in bytes, not characters
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, err := ParseToken(s)
		if h := HashToken(s); len(h) != 32 {
			t.Fatalf("HashToken gives %d bytes, want 32", len(h))
		}
		// Accepted exactly when the format says so.
		wantKind := Kind("")
		switch {
		case fzFineGrainedRE.MatchString(s):
			wantKind = KindFineGrained
		case fzClassicRE.MatchString(s) && Checksum(s[4:34]) == s[34:]:
			wantKind = KindClassic
		}
		if kind != wantKind || (err == nil) != (wantKind != "") {
			t.Fatalf("ParseToken(%q) = %q, %v; want kind %q", s, kind, err, wantKind)
		}
		if err != nil && err != ErrMalformedToken {
			t.Fatalf("ParseToken(%q) error %v, want ErrMalformedToken", s, err)
		}
		if err == nil && (len(DisplayPrefix(s)) != DisplayPrefixLength || !strings.HasPrefix(s, DisplayPrefix(s))) {
			t.Fatalf("DisplayPrefix(%q) = %q", s, DisplayPrefix(s))
		}

		// Tokens drawn from the input round-trip: right prefix, lengths
		// and (classic) checksum; changing one classic character breaks it.
		for _, k := range []Kind{KindFineGrained, KindClassic} {
			tok, err := GenerateToken(k, newFzStream(s))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseToken(tok)
			if err != nil || got != k {
				t.Fatalf("generated %s token %q parses as %q, %v", k, tok, got, err)
			}
			if k == KindClassic && (len(tok) != ClassicLength || Checksum(tok[4:34]) != tok[34:]) {
				t.Fatalf("classic token %q: bad length or checksum", tok)
			}
			if k == KindFineGrained && (len(tok) != FineGrainedLength || !fzFineGrainedRE.MatchString(tok)) {
				t.Fatalf("fine-grained token %q: bad shape", tok)
			}
			if k == KindClassic && len(s) > 0 {
				i := len(classicPrefix) + int(s[0])%(classicRandom+checksumLength)
				c := base62[(strings.IndexByte(base62, tok[i])+1+int(s[len(s)-1])%61)%62]
				mutated := tok[:i] + string(c) + tok[i+1:]
				if _, err := ParseToken(mutated); err == nil {
					t.Fatalf("classic token %q with character %d changed (%q) still parses", tok, i, mutated)
				}
			}
		}
	})
}

// fzOrgState decodes a fuzzed number into an organization's valid current
// settings and, perhaps, its enterprise's valid policy: what the store
// holds is always valid, the submitted change is what is fuzzed.
func fzOrgState(state uint64) (OrgSettings, *Enterprise) {
	bit := func(i uint) bool { return state>>i&1 == 1 }
	days := func(i uint) int { return int(state>>i&0x1ff) % (MaxLifetimeDays + 1) }
	cur := OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow,
		FineGrainedLifetime: days(3), ClassicLifetime: days(12)}
	if bit(0) {
		cur.FineGrained = Restrict
	}
	if bit(1) {
		cur.Approval = ApprovalNotRequired
	}
	if bit(2) {
		cur.Classic = Restrict
	}
	if !bit(21) {
		return cur, nil
	}
	e := fzEnterpriseState(state >> 22)
	return cur, &e
}

// fzEnterpriseState decodes a fuzzed number into a valid enterprise policy.
func fzEnterpriseState(state uint64) Enterprise {
	access := []EnterpriseAccess{EnterpriseAccessNoPolicy, EnterpriseAccessAllow, EnterpriseAccessRestrict}
	approval := []EnterpriseApproval{EnterpriseApprovalNoPolicy, EnterpriseApprovalRequired, EnterpriseApprovalDisabled}
	days := func(i uint) int { return int(state>>i&0x1ff) % (MaxLifetimeDays + 1) }
	return Enterprise{Slug: "fuzz-ent", Name: "Fuzz Enterprise",
		FineGrained: access[state&3%3], Approval: approval[state>>2&3%3], Classic: access[state>>4&3%3],
		FineGrainedLifetime: days(6), ClassicLifetime: days(15),
		ExemptAdmins: state>>24&1 == 1, OptedIn: state>>25&1 == 1}
}

// fzPtr is s when bit i of present is set, nil otherwise.
func fzPtr[T any](present uint8, i uint, v T) *T {
	if present>>i&1 == 0 {
		return nil
	}
	return &v
}

// fzDays is what a lifetime input must mean when it is accepted: no limit
// when must-expire is off, else the days typed, a whole number in 1..366.
func fzDays(in LifetimeInput) (int, bool) {
	if !in.MustExpire {
		return 0, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(in.Days), 10, 64)
	if err != nil || n < MinLifetimeDays || n > MaxLifetimeDays {
		return 0, false
	}
	return int(n), true
}

// fzShowOrgChange spells a change out for a failure message.
func fzShowOrgChange(ch OrgChange) string {
	show := func(p *string) string {
		if p == nil {
			return "-"
		}
		return strconv.Quote(*p)
	}
	life := func(l *LifetimeInput) string {
		if l == nil {
			return "-"
		}
		return strconv.FormatBool(l.MustExpire) + "/" + strconv.Quote(l.Days)
	}
	return "{fine-grained " + show(ch.FineGrained) + ", approval " + show(ch.Approval) + ", classic " + show(ch.Classic) +
		", lifetimes " + life(ch.FineGrainedLifetime) + " " + life(ch.ClassicLifetime) + "}"
}

// fzCheckErrors checks that every error names a submitted field and says
// something.
func fzCheckErrors(t *testing.T, errs Errors, submitted map[Field]bool) {
	t.Helper()
	for _, e := range errs {
		if !submitted[e.Field] || strings.TrimSpace(e.Message) == "" || !utf8.ValidString(e.Message) {
			t.Fatalf("error %+v: not on a submitted field, or without a message", e)
		}
	}
}

func FuzzApplyOrgChange(f *testing.F) {
	// state: see fzOrgState; bit 21 adds an enterprise, whose bits follow.
	f.Add(uint64(0), uint8(0x1f), "allow", "required", "allow", true, "30", false, "")
	f.Add(uint64(1<<21|1<<22), uint8(0x01), "restrict", "", "", false, "", false, "")           // a locked field, changed
	f.Add(uint64(1<<21|1<<22), uint8(0x01), "allow", "", "", false, "", false, "")              // a locked field, repeated
	f.Add(uint64(1<<21|30<<28), uint8(0x08), "", "", "", true, "31", false, "")                 // over the ceiling
	f.Add(uint64(1<<21|30<<28), uint8(0x08), "", "", "", true, "30", false, "")                 // at the ceiling
	f.Add(uint64(0), uint8(0x1f), "restrict", "not_required", "\xff", true, "-1", true, "1e30") // everything wrong
	f.Add(uint64(0), uint8(0x18), "", "", "", true, "99999999999999999999", true, " 366 ")      // huge and spaced
	f.Add(uint64(0), uint8(0x07), "Allow", "required ", "<script>alert(1)</script>", false, "", false, "")
	f.Fuzz(func(t *testing.T, state uint64, present uint8, fg, ap, cl string, fgExpire bool, fgDays string, clExpire bool, clDays string) {
		cur, ent := fzOrgState(state)
		ch := OrgChange{
			FineGrained: fzPtr(present, 0, fg), Approval: fzPtr(present, 1, ap), Classic: fzPtr(present, 2, cl),
			FineGrainedLifetime: fzPtr(present, 3, LifetimeInput{fgExpire, fgDays}),
			ClassicLifetime:     fzPtr(present, 4, LifetimeInput{clExpire, clDays}),
		}
		submitted := map[Field]bool{
			FieldFineGrained: ch.FineGrained != nil, FieldApproval: ch.Approval != nil, FieldClassic: ch.Classic != nil,
			FieldFineGrainedLifetime: ch.FineGrainedLifetime != nil, FieldClassicLifetime: ch.ClassicLifetime != nil,
		}
		eff := Resolve(cur, true, ent)
		next, errs := ApplyOrgChange(cur, ent, ch)
		fzCheckErrors(t, errs, submitted)

		// Whether the change should pass, decided independently: each
		// submitted value is a choice, a locked one repeats the enforced
		// value, a lifetime is a whole number of days in 1..366 (or none)
		// and within the enterprise's maximum unless it is the one in force.
		valid := true
		choice := func(f Field, raw *string, enforced string, options ...string) {
			if raw != nil && (!slices.Contains(options, *raw) || eff.IsLocked(f) && *raw != enforced) {
				valid = false
			}
		}
		choice(FieldFineGrained, ch.FineGrained, string(eff.FineGrained), "allow", "restrict")
		choice(FieldApproval, ch.Approval, string(eff.Approval), "required", "not_required")
		choice(FieldClassic, ch.Classic, string(eff.Classic), "allow", "restrict")
		lifetime := func(f Field, in *LifetimeInput, inForce int) {
			if in == nil {
				return
			}
			days, ok := fzDays(*in)
			if c := eff.Ceiling[f]; !ok || days != inForce && days > 0 && c > 0 && days > c {
				valid = false
			}
		}
		lifetime(FieldFineGrainedLifetime, ch.FineGrainedLifetime, eff.FineGrainedLifetime)
		lifetime(FieldClassicLifetime, ch.ClassicLifetime, eff.ClassicLifetime)
		if valid != (len(errs) == 0) {
			t.Fatalf("change %s on %+v (enterprise %+v): errors %v, want valid=%v", fzShowOrgChange(ch), cur, ent, errs, valid)
		}

		if len(errs) > 0 {
			if next != cur {
				t.Fatalf("refused change returned %+v, want the current %+v", next, cur)
			}
			for _, e := range errs {
				if e.Locked && !eff.IsLocked(e.Field) {
					t.Fatalf("lock error on %s, which the enterprise does not enforce", e.Field)
				}
			}
			return
		}

		// Accepted: only allowed values, only submitted fields changed,
		// locked fields kept as they were.
		if next.FineGrained != Allow && next.FineGrained != Restrict ||
			next.Classic != Allow && next.Classic != Restrict ||
			next.Approval != ApprovalRequired && next.Approval != ApprovalNotRequired {
			t.Fatalf("accepted settings hold a value outside the choices: %+v", next)
		}
		access := []struct {
			f        Field
			raw      *string
			got, was string
			enforced string
		}{
			{FieldFineGrained, ch.FineGrained, string(next.FineGrained), string(cur.FineGrained), string(eff.FineGrained)},
			{FieldApproval, ch.Approval, string(next.Approval), string(cur.Approval), string(eff.Approval)},
			{FieldClassic, ch.Classic, string(next.Classic), string(cur.Classic), string(eff.Classic)},
		}
		for _, a := range access {
			switch {
			case a.raw == nil || eff.IsLocked(a.f):
				if a.got != a.was {
					t.Fatalf("%s changed from %q to %q though it was not submitted or is locked", a.f, a.was, a.got)
				}
				if a.raw != nil && *a.raw != a.enforced {
					t.Fatalf("locked %s accepted %q, the enterprise enforces %q", a.f, *a.raw, a.enforced)
				}
			case a.got != *a.raw:
				t.Fatalf("%s submitted %q, stored %q", a.f, *a.raw, a.got)
			}
		}
		lifetimes := []struct {
			f                 Field
			in                *LifetimeInput
			got, was, inForce int
		}{
			{FieldFineGrainedLifetime, ch.FineGrainedLifetime, next.FineGrainedLifetime, cur.FineGrainedLifetime, eff.FineGrainedLifetime},
			{FieldClassicLifetime, ch.ClassicLifetime, next.ClassicLifetime, cur.ClassicLifetime, eff.ClassicLifetime},
		}
		for _, l := range lifetimes {
			if l.got < 0 || l.got > MaxLifetimeDays {
				t.Fatalf("%s = %d, outside 0..%d", l.f, l.got, MaxLifetimeDays)
			}
			if l.in == nil {
				if l.got != l.was {
					t.Fatalf("%s changed from %d to %d though not submitted", l.f, l.was, l.got)
				}
				continue
			}
			want, ok := fzDays(*l.in)
			if !ok {
				t.Fatalf("%s accepted %+v, which is not a lifetime", l.f, *l.in)
			}
			// Either the value typed is stored, or it is the one already
			// in force and the organization's own is kept.
			if l.got != want && (l.got != l.was || want != l.inForce) {
				t.Fatalf("%s submitted %+v, was %d (in force %d), stored %d", l.f, *l.in, l.was, l.inForce, l.got)
			}
			if c := eff.Ceiling[l.f]; l.got != l.was && c > 0 && l.got > c {
				t.Fatalf("%s set to %d over the enterprise's %d", l.f, l.got, c)
			}
		}
		// Applying the same change again changes nothing more.
		again, errs := ApplyOrgChange(next, ent, ch)
		if len(errs) > 0 || again != next {
			t.Fatalf("the same change applied twice: %+v, %v; first gave %+v", again, errs, next)
		}
	})
}

func FuzzApplyEnterpriseChange(f *testing.F) {
	f.Add(uint64(0), uint8(0x3f), "no_policy", "no_policy", "no_policy", true, "30", true, "7", true)
	f.Add(uint64(0), uint8(0x07), "allow", "disabled", "restrict", false, "", false, "", false)
	f.Add(uint64(5), uint8(0x07), "allow ", "Required", "\xffrestrict", false, "", false, "", false)
	f.Add(uint64(0), uint8(0x18), "", "", "", true, "0", true, "367", false)
	f.Add(uint64(0), uint8(0x18), "", "", "", true, "1e30", true, "-99999999999999999999", false)
	f.Add(uint64(0), uint8(0x18), "", "", "", false, "<b>", false, "abc", false)
	f.Add(uint64(1<<6|1<<15), uint8(0x20), "", "", "", false, "", false, "", true)
	f.Fuzz(func(t *testing.T, state uint64, present uint8, fg, ap, cl string, fgExpire bool, fgDays string, clExpire bool, clDays string, exempt bool) {
		cur := fzEnterpriseState(state)
		ch := EnterpriseChange{
			FineGrained: fzPtr(present, 0, fg), Approval: fzPtr(present, 1, ap), Classic: fzPtr(present, 2, cl),
			FineGrainedLifetime: fzPtr(present, 3, LifetimeInput{fgExpire, fgDays}),
			ClassicLifetime:     fzPtr(present, 4, LifetimeInput{clExpire, clDays}),
			ExemptAdmins:        fzPtr(present, 5, exempt),
		}
		submitted := map[Field]bool{
			FieldFineGrained: ch.FineGrained != nil, FieldApproval: ch.Approval != nil, FieldClassic: ch.Classic != nil,
			FieldFineGrainedLifetime: ch.FineGrainedLifetime != nil, FieldClassicLifetime: ch.ClassicLifetime != nil,
		}
		next, errs := ApplyEnterpriseChange(cur, ch)
		fzCheckErrors(t, errs, submitted)
		valid := true
		for _, c := range []struct {
			raw     *string
			options []string
		}{
			{ch.FineGrained, []string{"no_policy", "allow", "restrict"}},
			{ch.Approval, []string{"no_policy", "required", "disabled"}},
			{ch.Classic, []string{"no_policy", "allow", "restrict"}},
		} {
			valid = valid && (c.raw == nil || slices.Contains(c.options, *c.raw))
		}
		for _, in := range []*LifetimeInput{ch.FineGrainedLifetime, ch.ClassicLifetime} {
			if in != nil {
				_, ok := fzDays(*in)
				valid = valid && ok
			}
		}
		if valid != (len(errs) == 0) {
			t.Fatalf("change on %+v: errors %v, want valid=%v", cur, errs, valid)
		}
		if len(errs) > 0 {
			if next != cur {
				t.Fatalf("refused change returned %+v, want the current %+v", next, cur)
			}
			return
		}
		threeWay := []EnterpriseAccess{EnterpriseAccessNoPolicy, EnterpriseAccessAllow, EnterpriseAccessRestrict}
		approvals := []EnterpriseApproval{EnterpriseApprovalNoPolicy, EnterpriseApprovalRequired, EnterpriseApprovalDisabled}
		if !slices.Contains(threeWay, next.FineGrained) || !slices.Contains(threeWay, next.Classic) || !slices.Contains(approvals, next.Approval) {
			t.Fatalf("accepted policy holds a value outside the choices: %+v", next)
		}
		for _, a := range []struct {
			f        Field
			raw      *string
			got, was string
		}{
			{FieldFineGrained, ch.FineGrained, string(next.FineGrained), string(cur.FineGrained)},
			{FieldApproval, ch.Approval, string(next.Approval), string(cur.Approval)},
			{FieldClassic, ch.Classic, string(next.Classic), string(cur.Classic)},
		} {
			if a.raw == nil && a.got != a.was || a.raw != nil && a.got != *a.raw {
				t.Fatalf("%s: submitted %v, was %q, stored %q", a.f, a.raw, a.was, a.got)
			}
		}
		for _, l := range []struct {
			f        Field
			in       *LifetimeInput
			got, was int
		}{
			{FieldFineGrainedLifetime, ch.FineGrainedLifetime, next.FineGrainedLifetime, cur.FineGrainedLifetime},
			{FieldClassicLifetime, ch.ClassicLifetime, next.ClassicLifetime, cur.ClassicLifetime},
		} {
			if l.got < 0 || l.got > MaxLifetimeDays {
				t.Fatalf("%s = %d, outside 0..%d", l.f, l.got, MaxLifetimeDays)
			}
			want, ok := l.was, true
			if l.in != nil {
				want, ok = fzDays(*l.in)
			}
			if !ok || l.got != want {
				t.Fatalf("%s: submitted %+v, was %d, stored %d", l.f, l.in, l.was, l.got)
			}
		}
		if ch.ExemptAdmins == nil && next.ExemptAdmins != cur.ExemptAdmins || ch.ExemptAdmins != nil && next.ExemptAdmins != exempt {
			t.Fatalf("exempt administrators: submitted %v, was %v, stored %v", ch.ExemptAdmins, cur.ExemptAdmins, next.ExemptAdmins)
		}
		if next.Slug != cur.Slug || next.Name != cur.Name || next.OptedIn != cur.OptedIn {
			t.Fatalf("a change touched the enterprise's identity: %+v -> %+v", cur, next)
		}
		again, errs := ApplyEnterpriseChange(next, ch)
		if len(errs) > 0 || again != next {
			t.Fatalf("the same change applied twice: %+v, %v; first gave %+v", again, errs, next)
		}
	})
}

// fzText checks an accepted free-text value: trimmed, valid UTF-8, no
// control characters but line breaks and tabs (none at all when oneLine),
// at most max characters.
func fzText(t *testing.T, label, s string, max int, oneLine bool) {
	t.Helper()
	bad := func(r rune) bool {
		if r == '\n' || r == '\r' || r == '\t' {
			return oneLine
		}
		return r < 0x20 || r == 0x7f
	}
	switch {
	case !utf8.ValidString(s):
		t.Fatalf("%s %q accepted: not valid UTF-8", label, s)
	case strings.ContainsFunc(s, bad):
		t.Fatalf("%s %q accepted with control characters", label, s)
	case utf8.RuneCountInString(s) > max:
		t.Fatalf("%s accepted with %d characters, over %d", label, utf8.RuneCountInString(s), max)
	case s != strings.TrimSpace(s):
		t.Fatalf("%s %q accepted untrimmed", label, s)
	case strings.ContainsFunc(s, misleading):
		t.Fatalf("%s %q accepted with an invisible or formatting character", label, s)
	case !norm.NFC.IsNormalString(s):
		t.Fatalf("%s %q accepted outside normal form C", label, s)
	}
}

// fzTarget decodes a fuzzed number into nil (a token the user owns) or an
// organization with repositories 1 and 2.
func fzTarget(bits uint16) *TokenTarget {
	if bits&3 == 0 {
		return nil
	}
	eff := Effective{OptedIn: bits>>2&1 == 0, FineGrained: Allow, Approval: ApprovalNotRequired,
		FineGrainedLifetime: []int{0, 7, 30, 366}[bits>>3&3], ExemptAdmins: bits>>5&1 == 1}
	if bits>>6&1 == 1 {
		eff.FineGrained = Restrict
	}
	if bits>>7&1 == 1 {
		eff.Approval = ApprovalRequired
	}
	return &TokenTarget{Login: "fuzz-org", Effective: eff, IsOwner: bits>>8&1 == 1,
		Repos: map[int64]string{1: "one", 2: "two"}}
}

// fzList splits a fuzzed list; empty is no item.
func fzList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func FuzzCheckTokenRequest(f *testing.F) {
	f.Add("deploy-bot", "Deploys", "30", "", "all", "", "contents=read,metadata=read", uint16(0))
	f.Add("deploy-bot", "", "7", "Deploys the API", "selected", "1,2,1", "issues=write", uint16(0x81))
	f.Add(" spaced ", "multi\nline\tok", "none", "why", "public", "", "members=read", uint16(0x01))
	f.Add("two\nlines", "\x00", "0", "\xff", "everything", "3", "admin=write", uint16(0x01))
	f.Add("<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "366", "x", "selected", "99999999999999999999", "contents=admin", uint16(0x19))
	f.Add(strings.Repeat("n", MaxTokenName+1), strings.Repeat("d", MaxDescription+1), "1e30", "", "all", "-1", "metadata=none", uint16(0x8f))
	f.Add("é"+strings.Repeat("x", MaxTokenName-1), "", "-7", "", "all", "", "organization_administration=write", uint16(0))
	f.Fuzz(func(t *testing.T, name, description, expiration, justification, selection, repos, perms string, target uint16) {
		in := TokenInput{Name: name, Description: description, Expiration: expiration, Justification: justification,
			Selection: selection, Repos: fzList(repos), Permissions: map[string]string{}}
		for _, kv := range fzList(perms) {
			k, v, _ := strings.Cut(kv, "=")
			in.Permissions[k] = v
		}
		tt := fzTarget(target)
		req, errs := CheckTokenRequest(in, tt)
		if len(errs) > 0 {
			if req.Name != "" || req.Permissions != nil || req.Status != "" {
				t.Fatalf("refused request returned %+v", req)
			}
			for _, e := range errs {
				if e.Field == "" || strings.TrimSpace(e.Message) == "" {
					t.Fatalf("error without a field or message: %+v", e)
				}
			}
			return
		}
		fzText(t, "name", req.Name, MaxTokenName, true)
		if req.Name == "" {
			t.Fatal("empty name accepted")
		}
		fzText(t, "description", req.Description, MaxDescription, false)
		fzText(t, "justification", req.Justification, MaxJustification, false)
		if !slices.Contains(Expirations(), req.ExpiresInDays) {
			t.Fatalf("expiration %d days is not a choice", req.ExpiresInDays)
		}
		if limit := maxLifetime(tt); limit > 0 && (req.ExpiresInDays == 0 || req.ExpiresInDays > limit) {
			t.Fatalf("expiration %d days accepted over the limit of %d", req.ExpiresInDays, limit)
		}
		if !slices.Contains(Selections(), req.Selection) || string(req.Selection) != selection {
			t.Fatalf("selection %q accepted as %q", selection, req.Selection)
		}
		if (req.Selection == SelectSelected) != (len(req.RepoIDs) > 0) || !slices.IsSorted(req.RepoIDs) ||
			len(slices.Compact(slices.Clone(req.RepoIDs))) != len(req.RepoIDs) {
			t.Fatalf("repositories %v for selection %q", req.RepoIDs, req.Selection)
		}
		for _, id := range req.RepoIDs {
			if _, ok := tt.Repos[id]; !ok {
				t.Fatalf("repository %d is not the target's", id)
			}
		}
		repoPerm := false
		for name, level := range req.Permissions {
			p, ok := PermissionByName(name)
			if !ok || level != LevelRead && level != LevelWrite {
				t.Fatalf("permission %s=%q accepted", name, level)
			}
			if p.Org && tt == nil {
				t.Fatalf("organization permission %s on a user's own token", name)
			}
			repoPerm = repoPerm || p.Repository()
		}
		if repoPerm && !req.Permissions[Metadata].Covers(LevelRead) {
			t.Fatal("a repository permission without metadata read")
		}
		switch {
		case tt == nil:
			if req.Status != "" || req.Justification != "" {
				t.Fatalf("own token with status %q, justification %q", req.Status, req.Justification)
			}
		case !tt.Offered():
			t.Fatal("accepted for an organization that does not offer fine-grained tokens")
		case tt.NeedsApproval() && (req.Status != GrantPending || req.Justification == ""):
			t.Fatalf("needs approval: status %q, justification %q", req.Status, req.Justification)
		case !tt.NeedsApproval() && req.Status != GrantApproved:
			t.Fatalf("needs no approval: status %q", req.Status)
		}
	})
}

func FuzzCheckClassicRequest(f *testing.F) {
	f.Add("ci", "30", "repo,read:org")
	f.Add(" ci ", "none", "")
	f.Add("ci\n", "7", "repo,repo")
	f.Add("\xff\xfe", "0", "admin")
	f.Add("<script>alert(1)</script>", "99999999999999999999", "admin:enterprise,user")
	f.Add(strings.Repeat("n", MaxNote+1), "-30", "REPO")
	f.Fuzz(func(t *testing.T, note, expiration, scopes string) {
		req, errs := CheckClassicRequest(ClassicInput{Note: note, Expiration: expiration, Scopes: fzList(scopes)})
		if len(errs) > 0 {
			if req.Note != "" || req.Scopes != nil {
				t.Fatalf("refused request returned %+v", req)
			}
			return
		}
		fzText(t, "note", req.Note, MaxNote, true)
		if req.Note == "" {
			t.Fatal("empty note accepted")
		}
		if !slices.Contains(Expirations(), req.ExpiresInDays) {
			t.Fatalf("expiration %d days is not a choice", req.ExpiresInDays)
		}
		for _, s := range fzList(scopes) {
			if !slices.Contains(Scopes(), s) {
				t.Fatalf("unknown scope %q accepted", s)
			}
		}
		// Every scope once, in the list's order.
		want := []string(nil)
		for _, s := range Scopes() {
			if slices.Contains(fzList(scopes), s) {
				want = append(want, s)
			}
		}
		if !slices.Equal(req.Scopes, want) {
			t.Fatalf("scopes %q stored as %q", scopes, req.Scopes)
		}
	})
}

func FuzzCheckReason(f *testing.F) {
	for _, s := range []string{"", "  Not needed  ", "line\nbreak", "\x00", "\xff", "<script>alert(1)</script>",
		strings.Repeat("é", MaxReason), strings.Repeat("é", MaxReason+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, errs := CheckReason(s)
		if len(errs) > 0 {
			if errs[0].Field != FieldReason || errs[0].Message == "" {
				t.Fatalf("error %+v", errs[0])
			}
			return
		}
		fzText(t, "reason", got, MaxReason, false)
		if got != norm.NFC.String(strings.TrimSpace(s)) {
			t.Fatalf("reason %q stored as %q", s, got)
		}
	})
}

// fzKeyBlob is an SSH public key blob of type typ: its name as an SSH
// string, then rest.
func fzKeyBlob(typ string, rest []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(typ)))
	return append(append(b, typ...), rest...)
}

func FuzzParseSSHKey(f *testing.F) {
	good := "ssh-ed25519 " + base64.StdEncoding.EncodeToString(fzKeyBlob("ssh-ed25519", bytes.Repeat([]byte{7}, 36)))
	for _, s := range []string{
		good, good + " mona@laptop", "  " + good + "\n",
		"ssh-rsa " + base64.StdEncoding.EncodeToString(fzKeyBlob("ssh-ed25519", []byte{1})), // types differ
		"ssh-ed25519 " + base64.StdEncoding.EncodeToString(fzKeyBlob("ssh-ed25519", nil)),   // no key material
		"ssh-ed25519 " + base64.StdEncoding.EncodeToString([]byte{0xff, 0xff, 0xff, 0xff, 's'}),
		"ssh-ed25519 bm90IGEga2V5", "ssh-ed25519 !!!", "ssh-dss AAAA", "", "ssh-ed25519",
		"<script>alert(1)</script> AAAA",
	} {
		f.Add(s, uint8(0), []byte{1, 2, 3}, "comment")
	}
	f.Fuzz(func(t *testing.T, s string, typ uint8, material []byte, comment string) {
		if out, ok := ParseSSHKey(s); ok {
			fields := strings.Fields(s)
			if out != fields[0]+" "+fields[1] || !slices.Contains(SSHKeyTypes(), fields[0]) {
				t.Fatalf("ParseSSHKey(%q) = %q", s, out)
			}
			blob, err := base64.StdEncoding.DecodeString(fields[1])
			if err != nil || len(blob) < 4+len(fields[0])+1 || string(blob[4:4+len(fields[0])]) != fields[0] {
				t.Fatalf("accepted %q whose blob does not name its type", s)
			}
			if again, ok := ParseSSHKey(out); !ok || again != out {
				t.Fatalf("the normalized key %q does not parse to itself", out)
			}
		} else if out != "" {
			t.Fatalf("refused key returned %q", out)
		}

		// A well-formed line of any type with some key material is
		// accepted, whatever its comment; without material it is not.
		kt := SSHKeyTypes()[int(typ)%len(SSHKeyTypes())]
		b64 := base64.StdEncoding.EncodeToString(fzKeyBlob(kt, material))
		line := kt + " " + b64 + " " + comment
		out, ok := ParseSSHKey(line)
		want := len(material) > 0 && len(b64) <= 16384
		if ok != want || ok && out != kt+" "+b64 {
			t.Fatalf("ParseSSHKey(%q) = %q, %v; want accepted %v", line, out, ok, want)
		}
	})
}
