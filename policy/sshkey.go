package policy

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
)

// SSHKeyTypes are the public key types an SSH key may have.
func SSHKeyTypes() []string {
	return []string{
		"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
	}
}

// ParseSSHKey checks a public key in OpenSSH's one-line format ("type
// base64 [comment]") and returns it without the comment. The base64 part
// must decode, and name the same type as the line does.
func ParseSSHKey(s string) (string, bool) {
	fields := strings.Fields(s)
	if len(fields) < 2 || !slices.Contains(SSHKeyTypes(), fields[0]) || len(fields[1]) > 16384 {
		return "", false
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil || len(blob) < 4 {
		return "", false
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) || !bytes.Equal(blob[4:4+n], []byte(fields[0])) || len(blob) == int(4+n) {
		return "", false
	}
	return fields[0] + " " + fields[1], true
}
