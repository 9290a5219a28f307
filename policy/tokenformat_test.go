package policy

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	mrand "math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The token formats GitHub uses (see "Token format" in docs/policy.md),
// written out independently of the package's constants.
var (
	fineGrainedFormat = regexp.MustCompile(`^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$`)
	classicFormat     = regexp.MustCompile(`^ghp_([A-Za-z0-9]{30})([A-Za-z0-9]{6})$`)
)

const testAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// wantChecksum computes the classic checksum the slow way: CRC32 (IEEE),
// written in base 62 most significant digit first, left-padded with '0'.
func wantChecksum(s string) string {
	n := crc32.ChecksumIEEE([]byte(s))
	var digits []byte
	for n > 0 {
		digits = append([]byte{testAlphabet[n%62]}, digits...)
		n /= 62
	}
	out := string(digits)
	for len(out) < 6 {
		out = "0" + out
	}
	return out
}

// seeded is a deterministic source of random bytes, so statistical checks
// cannot flake.
func seeded(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

func generate(t *testing.T, kind Kind, r io.Reader) string {
	t.Helper()
	tok, err := GenerateToken(kind, r)
	if err != nil {
		t.Fatalf("GenerateToken(%s): %v", kind, err)
	}
	return tok
}

func TestGenerateTokenFormats(t *testing.T) {
	if FineGrainedLength != 93 || ClassicLength != 40 {
		t.Errorf("lengths %d and %d, want 93 and 40", FineGrainedLength, ClassicLength)
	}
	seen := map[string]bool{}
	det := seeded(5)
	for i := range 2000 {
		r := io.Reader(rand.Reader)
		if i%2 == 1 {
			r = det
		}
		fg := generate(t, KindFineGrained, r)
		if !fineGrainedFormat.MatchString(fg) || len(fg) != 93 {
			t.Fatalf("fine-grained token %q does not match %s", fg, fineGrainedFormat)
		}
		cl := generate(t, KindClassic, r)
		m := classicFormat.FindStringSubmatch(cl)
		if m == nil || len(cl) != 40 {
			t.Fatalf("classic token %q does not match %s", cl, classicFormat)
		}
		if want := wantChecksum(m[1]); m[2] != want {
			t.Fatalf("classic token %q: checksum %q, want %q", cl, m[2], want)
		}
		for _, tok := range []string{fg, cl} {
			if seen[tok] {
				t.Fatalf("token %q drawn twice", tok)
			}
			seen[tok] = true
		}
		if k, err := ParseToken(fg); err != nil || k != KindFineGrained {
			t.Fatalf("ParseToken(%q) = %q, %v; want fine-grained", fg, k, err)
		}
		if k, err := ParseToken(cl); err != nil || k != KindClassic {
			t.Fatalf("ParseToken(%q) = %q, %v; want classic", cl, k, err)
		}
	}
}

func TestGenerateTokenUnknownKind(t *testing.T) {
	for _, k := range []Kind{"", "oauth", "FINE_GRAINED"} {
		if tok, err := GenerateToken(k, rand.Reader); err == nil || tok != "" {
			t.Errorf("GenerateToken(%q) = %q, %v; want an error", k, tok, err)
		}
	}
}

func TestChecksumKnownValues(t *testing.T) {
	// Computed outside Go (Python's zlib.crc32, then base 62 by hand).
	for in, want := range map[string]string{
		"":                               "000000",
		"123456789":                      "3jZRME", // CRC32 0xCBF43926, the standard check value
		"a":                              "4GEHKN",
		"abcdefghijklmnopqrstuvwxyz0123": "2LolCm",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA": "0uCPlr", // a leading zero digit
	} {
		if got := Checksum(in); got != want {
			t.Errorf("Checksum(%q) = %q, want %q", in, got, want)
		}
		if got := wantChecksum(in); got != want {
			t.Errorf("test helper: wantChecksum(%q) = %q, want %q", in, got, want)
		}
	}
	r := seeded(7)
	for range 500 {
		var b [30]byte
		r.Read(b[:])
		s := string(b[:])
		if got, want := Checksum(s), wantChecksum(s); got != want {
			t.Fatalf("Checksum(%q) = %q, want %q", s, got, want)
		}
	}
}

// replaceAt returns s with the byte at i replaced by c.
func replaceAt(s string, i int, c byte) string {
	return s[:i] + string(c) + s[i+1:]
}

// otherBase62 is a base62 character different from c.
func otherBase62(c byte) byte {
	i := strings.IndexByte(testAlphabet, c)
	return testAlphabet[(i+1)%len(testAlphabet)]
}

func TestParseTokenRejectsMalformed(t *testing.T) {
	fg := generate(t, KindFineGrained, seeded(1))
	cl := generate(t, KindClassic, seeded(2))
	body, sum := cl[4:34], cl[34:]
	cases := map[string]string{
		"empty":                        "",
		"classic prefix alone":         "ghp_",
		"fine-grained prefix alone":    "github_pat_",
		"fine-grained too long":        fg + "a",
		"fine-grained too short":       fg[:len(fg)-1],
		"classic too long":             cl + "a",
		"classic too short":            cl[:len(cl)-1],
		"fine-grained wrong prefix":    "github_pax_" + fg[11:],
		"fine-grained upper prefix":    "GITHUB_PAT_" + fg[11:],
		"classic wrong prefix":         "gho_" + cl[4:],
		"classic upper prefix":         "GHP_" + cl[4:],
		"classic body as fine-grained": "github_pat_" + cl[4:],
		"fine-grained no separator":    replaceAt(fg, 11+22, 'a'),
		"fine-grained separator moved": fg[:11] + fg[12:34] + "_" + fg[34:],
		"fine-grained dash in head":    replaceAt(fg, 12, '-'),
		"fine-grained _ in tail":       replaceAt(fg, 60, '_'),
		"fine-grained space at end":    fg[:92] + " ",
		"fine-grained NUL in tail":     replaceAt(fg, 50, 0),
		"fine-grained high byte":       replaceAt(fg, 20, 0xC3),
		"classic dash in body":         replaceAt(cl, 10, '-'),
		"classic space in checksum":    replaceAt(cl, 39, ' '),
		"classic bad checksum":         "ghp_" + body + "000000",
		"classic checksum of another":  "ghp_" + body + Checksum(body + "x")[:6],
		"classic checksum case":        "ghp_" + body + swapCase(sum),
		"classic checksum rotated":     "ghp_" + body + sum[1:] + sum[:1],
		"classic with fine prefix len": "ghp_" + body + sum + "_",
	}
	if sum == swapCase(sum) || sum == sum[1:]+sum[:1] {
		t.Fatalf("test setup: checksum %q unchanged by the mutations", sum)
	}
	for name, s := range cases {
		if k, err := ParseToken(s); !errors.Is(err, ErrMalformedToken) || k != "" {
			t.Errorf("%s: ParseToken(%q) = %q, %v; want ErrMalformedToken", name, s, k, err)
		}
	}
}

func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

func TestParseTokenClassicEveryOneCharChangeFails(t *testing.T) {
	// CRC32 catches every change of one character of the body, and every
	// change of the checksum is a different checksum.
	r := seeded(3)
	for range 20 {
		cl := generate(t, KindClassic, r)
		for i := 4; i < len(cl); i++ {
			bad := replaceAt(cl, i, otherBase62(cl[i]))
			if k, err := ParseToken(bad); !errors.Is(err, ErrMalformedToken) {
				t.Errorf("ParseToken(%q) (char %d of %q changed) = %q, %v; want ErrMalformedToken", bad, i, cl, k, err)
			}
		}
	}
}

func TestParseTokenAcceptsHandBuiltTokens(t *testing.T) {
	// Tokens built here from the format alone, not by GenerateToken.
	fg := "github_pat_" + strings.Repeat("Z", 22) + "_" + testAlphabet[:59]
	if k, err := ParseToken(fg); err != nil || k != KindFineGrained {
		t.Errorf("ParseToken(%q) = %q, %v; want fine-grained", fg, k, err)
	}
	body := testAlphabet[30:60]
	cl := "ghp_" + body + wantChecksum(body)
	if k, err := ParseToken(cl); err != nil || k != KindClassic {
		t.Errorf("ParseToken(%q) = %q, %v; want classic", cl, k, err)
	}
	zero := "ghp_" + strings.Repeat("0", 30) + wantChecksum(strings.Repeat("0", 30))
	if k, err := ParseToken(zero); err != nil || k != KindClassic {
		t.Errorf("ParseToken(%q) = %q, %v; want classic", zero, k, err)
	}
}

// alphabetCounts counts the characters of tokens' random parts.
func alphabetCounts(t *testing.T, r io.Reader, draws int) (map[byte]int, int) {
	t.Helper()
	counts := map[byte]int{}
	total := 0
	for range draws {
		fg := generate(t, KindFineGrained, r)
		cl := generate(t, KindClassic, r)
		for _, part := range []string{fg[11:33], fg[34:], cl[4:34]} {
			for i := 0; i < len(part); i++ {
				counts[part[i]]++
				total++
			}
		}
	}
	return counts, total
}

func TestGenerateTokenDrawIsUniform(t *testing.T) {
	counts, total := alphabetCounts(t, seeded(42), 2000)
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters drawn, want all 62: %v", len(counts), counts)
	}
	for c := range counts {
		if !strings.ContainsRune(testAlphabet, rune(c)) {
			t.Errorf("character %q is not base62", c)
		}
	}
	// Chi-square against the uniform distribution, 61 degrees of freedom:
	// mean 61, standard deviation about 11. A draw by plain modulo (no
	// rejection of bytes 248..255) scores over 1000 on this many characters.
	expected := float64(total) / 62
	chi := 0.0
	for _, c := range []byte(testAlphabet) {
		d := float64(counts[c]) - expected
		chi += d * d / expected
	}
	t.Logf("chi-square %.1f over %d characters", chi, total)
	if chi > 130 {
		t.Errorf("chi-square %.1f over %d characters: the draw is biased; counts %v", chi, total, counts)
	}
}

// patternReader repeats pattern forever.
type patternReader struct {
	pattern []byte
	i       int
}

func (p *patternReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = p.pattern[p.i%len(p.pattern)]
		p.i++
	}
	return len(b), nil
}

func TestGenerateTokenRejectsBiasedBytes(t *testing.T) {
	// Bytes 248..255 would favour the first eight characters; they must be
	// skipped, not folded onto the alphabet.
	var pattern []byte
	for b := 248; b < 256; b++ {
		pattern = append(pattern, byte(b))
	}
	for b := range 62 {
		pattern = append(pattern, byte(b))
	}
	cl := generate(t, KindClassic, &patternReader{pattern: pattern})
	if want := "ghp_" + testAlphabet[:30] + wantChecksum(testAlphabet[:30]); cl != want {
		t.Errorf("classic token from bytes 248..255,0..61 = %q, want %q", cl, want)
	}
	// Bytes 62..247 fold onto the alphabet by modulo: 62 is '0', 247 is 'z'.
	cl = generate(t, KindClassic, &patternReader{pattern: []byte{62, 247, 250, 124, 255}})
	if body := cl[4:34]; body != strings.Repeat("0z0", 10) {
		t.Errorf("classic body from bytes 62,247,(250),124,(255) = %q, want %q", body, strings.Repeat("0z0", 10))
	}
}

// failingReader returns n bytes of zeros and then err.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(b), f.n)
	clear(b[:k])
	f.n -= k
	return k, nil
}

func TestGenerateTokenReaderErrors(t *testing.T) {
	boom := errors.New("entropy exhausted")
	for _, kind := range []Kind{KindFineGrained, KindClassic} {
		for _, n := range []int{0, 1, 10, 30, 40} {
			tok, err := GenerateToken(kind, &failingReader{n: n, err: boom})
			if err == nil || tok != "" {
				t.Errorf("%s with a reader failing after %d bytes: %q, %v; want an error and no token", kind, n, tok, err)
			}
		}
		if _, err := GenerateToken(kind, &failingReader{n: 0, err: boom}); !errors.Is(err, boom) {
			t.Errorf("%s: err = %v, want the reader's error", kind, err)
		}
		// A reader that ends early is an error too, not a short token.
		tok, err := GenerateToken(kind, strings.NewReader("abc"))
		if err == nil || tok != "" {
			t.Errorf("%s from a 3-byte reader: %q, %v; want an error", kind, tok, err)
		}
	}
}

func TestHashToken(t *testing.T) {
	// sha256("ghp_abc"), computed outside Go.
	if got := hex.EncodeToString(HashToken("ghp_abc")); got != "dc7f123fe44d7e4276f07422b092abfb165810f83787d45a89bdaec96bf01c48" {
		t.Errorf("HashToken(ghp_abc) = %s", got)
	}
	r := seeded(9)
	for range 50 {
		tok := generate(t, KindFineGrained, r)
		h := HashToken(tok)
		want := sha256.Sum256([]byte(tok))
		if len(h) != 32 || hex.EncodeToString(h) != hex.EncodeToString(want[:]) {
			t.Fatalf("HashToken(%q) = %x, want %x", tok, h, want)
		}
		if strings.Contains(string(h), tok[11:20]) {
			t.Fatalf("hash of %q carries the token", tok)
		}
	}
	if hex.EncodeToString(HashToken("a")) == hex.EncodeToString(HashToken("b")) {
		t.Error("different tokens hash alike")
	}
}

func TestDisplayPrefix(t *testing.T) {
	if DisplayPrefixLength != 16 {
		t.Errorf("DisplayPrefixLength = %d, want 16", DisplayPrefixLength)
	}
	r := seeded(11)
	for _, kind := range []Kind{KindFineGrained, KindClassic} {
		tok := generate(t, kind, r)
		p := DisplayPrefix(tok)
		if len(p) != DisplayPrefixLength || !strings.HasPrefix(tok, p) {
			t.Errorf("DisplayPrefix(%q) = %q, want its first %d characters", tok, p, DisplayPrefixLength)
		}
		// The prefix shows far less than the token: not even the whole
		// random head of a fine-grained token.
		if len(p) >= len(tok)/2 {
			t.Errorf("DisplayPrefix(%q) = %q shows too much", tok, p)
		}
	}
	for _, s := range []string{"", "ghp_", "github_pat_abcd", "exactly16chars!!"} {
		if got := DisplayPrefix(s); got != s {
			t.Errorf("DisplayPrefix(%q) = %q, want it whole", s, got)
		}
	}
}
