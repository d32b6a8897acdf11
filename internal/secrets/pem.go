package secrets

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"strings"
)

// pemBeginRE finds the armour that opens a private key; the label before
// PRIVATE KEY says its type (RSA, EC, OPENSSH, ENCRYPTED, PGP…).
var pemBeginRE = regexp.MustCompile(`-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----`)

// maxPEM bounds how far after its header a key's END line is looked for.
const maxPEM = 64 << 10

// keyInfo is what the body of a private key says about it.
type keyInfo struct {
	// secret is the body's base64, normalised so that the same key
	// written on many lines, on one line or JSON-escaped is one secret.
	secret      string
	label       string
	fingerprint string
	comment     string
	encrypted   bool
	malformed   bool
}

// detectPEM finds PEM private keys: on many lines, flattened onto one line
// with spaces, or JSON-escaped with \n.
func detectPEM(d *doc, w window, emit func(candidate)) {
	text := d.text[w.start:w.end]
	for _, m := range pemBeginRE.FindAllSubmatchIndex(text, -1) {
		label := strings.TrimSpace(string(text[m[2]:m[3]]))
		block := m[4] >= 0
		bodyStart := w.start + m[1]
		limit := min(len(d.text), bodyStart+maxPEM)
		from := bodyStart
		if d.memo.pemFrom <= bodyStart && bodyStart < d.memo.pemNoEnd {
			from = d.memo.pemNoEnd // nothing to find before it
		}
		end := -1
		if from < limit {
			end = bytes.Index(d.text[from:limit], []byte("-----END "))
		}
		if end < 0 {
			d.memo.pemFrom, d.memo.pemNoEnd = bodyStart, max(limit, d.memo.pemNoEnd)
			continue
		}
		end += from - bodyStart
		info := parseKey(label, block, string(d.text[bodyStart:bodyStart+end]))
		if info.secret == "" {
			continue
		}
		c := candidate{rule: RulePrivateKey, kind: info.label, secret: info.secret,
			at: w.start + m[0], prio: 15}
		c.id.KeyID = info.fingerprint
		c.id.Label = info.comment
		switch {
		case info.malformed:
			c.variant = variantMalformed
		case info.encrypted:
			c.variant = variantEncrypted
		}
		emit(c)
	}
}

// parseKey reads the body of a private key between its armour lines.
func parseKey(label string, block bool, body string) keyInfo {
	info := keyInfo{label: keyLabel(label, block)}
	body = strings.ReplaceAll(body, `\\n`, "\n")
	body = strings.ReplaceAll(body, `\n`, "\n")
	body = strings.ReplaceAll(body, `\r`, "")
	var b strings.Builder
	for _, line := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.ContainsAny(k, "\"'") {
			// An RFC 1421 header (Proc-Type, DEK-Info) or a PGP armour header.
			if strings.Contains(strings.ToUpper(v), "ENCRYPTED") {
				info.encrypted = true
			}
			continue
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
				c == '+' || c == '/' || c == '=' {
				b.WriteByte(c)
			}
		}
	}
	info.secret = b.String()
	if len(info.secret) < 16 {
		return keyInfo{}
	}
	if strings.Contains(label, "ENCRYPTED") {
		info.encrypted = true
	}
	if block {
		return info // PGP: armoured packets with a checksum, not decoded here
	}
	raw, err := base64.StdEncoding.DecodeString(info.secret)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(info.secret, "="))
	}
	if err != nil || len(raw) < 16 {
		info.malformed = true
		return info
	}
	if label == "OPENSSH" {
		openSSH(raw, &info)
		return info
	}
	if raw[0] != 0x30 {
		info.malformed = true
		return info
	}
	if !info.encrypted {
		info.fingerprint = derFingerprint(raw)
	}
	return info
}

func keyLabel(label string, block bool) string {
	switch {
	case block:
		return "PGP private key"
	case label == "":
		return "PKCS#8 private key"
	case label == "OPENSSH":
		return "OpenSSH private key"
	}
	return label + " private key"
}

// derFingerprint returns SHA256:base64 of the public key of a PKCS#1,
// PKCS#8 or SEC 1 private key, or "" when Go cannot parse it.
func derFingerprint(der []byte) string {
	var pub any
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(interface{ Public() any }); ok {
			pub = s.Public()
		}
	} else if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		pub = k.Public()
	} else if k, err := x509.ParseECPrivateKey(der); err == nil {
		pub = k.Public()
	}
	if pub == nil {
		return ""
	}
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(pkix)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// openSSH reads the openssh-key-v1 format: the public key's fingerprint
// as ssh-keygen prints it, whether the private part is encrypted, and the
// comment of an unencrypted ed25519 key.
func openSSH(raw []byte, info *keyInfo) {
	const magic = "openssh-key-v1\x00"
	if !bytes.HasPrefix(raw, []byte(magic)) {
		info.malformed = true
		return
	}
	r := sshReader{b: raw[len(magic):]}
	cipher := r.str()
	r.str() // kdf name
	r.str() // kdf options
	n := r.u32()
	if r.bad || n != 1 {
		info.malformed = r.bad
		return
	}
	pubBlob := r.str()
	private := r.str()
	if r.bad {
		info.malformed = true
		return
	}
	sum := sha256.Sum256(pubBlob)
	info.fingerprint = "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	if string(cipher) != "none" {
		info.encrypted = true
		return
	}
	p := sshReader{b: private}
	p.u32()
	p.u32()
	if string(p.str()) == "ssh-ed25519" {
		p.str()
		p.str()
		if c := p.str(); !p.bad && len(c) > 0 {
			info.comment = strings.ToValidUTF8(string(c), "?")
		}
	}
}

// sshReader reads the length-prefixed fields of the SSH wire format.
type sshReader struct {
	b   []byte
	bad bool
}

func (r *sshReader) u32() uint32 {
	if len(r.b) < 4 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *sshReader) str() []byte {
	n := r.u32()
	if r.bad || uint64(n) > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}
