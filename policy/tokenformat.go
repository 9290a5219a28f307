package policy

import (
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"io"
	"strings"
)

// Kind is a personal access token's kind.
type Kind string

const (
	KindFineGrained Kind = "fine_grained"
	KindClassic     Kind = "classic"
)

// Token formats: a fine-grained token is "github_pat_", 22 characters, "_",
// 59 characters; a classic token is "ghp_", 30 random characters and a
// 6-character base62 CRC32 checksum of those 30. Every character after the
// prefixes is in [A-Za-z0-9].
const (
	fineGrainedPrefix = "github_pat_"
	fineGrainedHead   = 22
	fineGrainedTail   = 59
	classicPrefix     = "ghp_"
	classicRandom     = 30
	checksumLength    = 6
	// FineGrainedLength and ClassicLength are the tokens' full lengths.
	FineGrainedLength = len(fineGrainedPrefix) + fineGrainedHead + 1 + fineGrainedTail
	ClassicLength     = len(classicPrefix) + classicRandom + checksumLength
	// DisplayPrefixLength is how much of a token is kept to recognise it.
	DisplayPrefixLength = 16
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrMalformedToken is returned for a string that is not a token of either
// kind.
var ErrMalformedToken = errors.New("malformed token")

// GenerateToken makes a new token of the given kind from random, which
// should be crypto/rand.Reader outside tests.
func GenerateToken(kind Kind, random io.Reader) (string, error) {
	switch kind {
	case KindFineGrained:
		head, err := randomBase62(random, fineGrainedHead)
		if err != nil {
			return "", err
		}
		tail, err := randomBase62(random, fineGrainedTail)
		if err != nil {
			return "", err
		}
		return fineGrainedPrefix + head + "_" + tail, nil
	case KindClassic:
		body, err := randomBase62(random, classicRandom)
		if err != nil {
			return "", err
		}
		return classicPrefix + body + Checksum(body), nil
	}
	return "", errors.New("unknown token kind")
}

// randomBase62 draws n characters uniformly from the base62 alphabet,
// rejecting bytes that would bias the draw.
func randomBase62(random io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := io.ReadFull(random, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			// 248 = 4*62: values from 248 up would favour the first letters.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out), nil
}

// Checksum is the 6-character base62 CRC32 (IEEE) of s, left-padded with
// zeros.
func Checksum(s string) string {
	n := crc32.ChecksumIEEE([]byte(s))
	var b [checksumLength]byte
	for i := checksumLength - 1; i >= 0; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b[:])
}

// ParseToken tells the kind of a token string, checking its shape and, for
// a classic token, its checksum. It says nothing of whether the token exists.
func ParseToken(s string) (Kind, error) {
	switch {
	case len(s) == FineGrainedLength && strings.HasPrefix(s, fineGrainedPrefix):
		rest := s[len(fineGrainedPrefix):]
		if rest[fineGrainedHead] != '_' || !isBase62(rest[:fineGrainedHead]) || !isBase62(rest[fineGrainedHead+1:]) {
			return "", ErrMalformedToken
		}
		return KindFineGrained, nil
	case len(s) == ClassicLength && strings.HasPrefix(s, classicPrefix):
		body := s[len(classicPrefix) : len(classicPrefix)+classicRandom]
		sum := s[len(classicPrefix)+classicRandom:]
		if !isBase62(body) || sum != Checksum(body) {
			return "", ErrMalformedToken
		}
		return KindClassic, nil
	}
	return "", ErrMalformedToken
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// HashToken is what the store keeps of a token: its SHA-256.
func HashToken(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// DisplayPrefix is the start of a token shown in lists so that its owner
// can recognise it; it carries too little to use.
func DisplayPrefix(s string) string {
	if len(s) < DisplayPrefixLength {
		return s
	}
	return s[:DisplayPrefixLength]
}
