package secrets

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
)

// awsIDRE matches AWS access key IDs: long-term (AKIA), temporary (ASIA)
// and the other documented prefixes.
var awsIDRE = regexp.MustCompile(`\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}|A3T[A-Z0-9][A-Z2-7]{16})\b`)

// awsSecretRE matches a 40-character secret access key.
var awsSecretRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])`)

// awsPairLines is how far from its key ID a secret access key is looked
// for; Terraform state puts a few attributes between them.
const awsPairLines = 12

// detectAWS finds an access key ID with its secret access key nearby. An
// ID alone is not a credential and is not reported.
func detectAWS(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	for _, m := range awsIDRE.FindAllStringSubmatchIndex(text, -1) {
		id := text[m[2]:m[3]]
		at := w.start + m[2]
		secret, secretAt := "", -1
		bestDist := awsPairLines + 1
		if cut := w.start > 0 && d.text[w.start-1] != '\n' ||
			w.end < len(d.text) && d.text[w.end] != '\n'; cut {
			// A window of a very long line: look only inside it.
			for _, s := range awsSecretsOf(d, w.start, text) {
				secret, secretAt = string(d.text[s[0]:s[1]]), s[0]
			}
		} else {
			walkLines(d, at, awsPairLines, func(lineStart int, line string, dist int) {
				if dist >= bestDist {
					return
				}
				for _, s := range awsSecretsOf(d, lineStart, line) {
					secret, secretAt, bestDist = string(d.text[s[0]:s[1]]), s[0], dist
				}
			})
		}
		if secret == "" {
			continue
		}
		c := candidate{rule: RuleCloudKey, kind: "AWS access key pair", secret: secret,
			at: secretAt, prio: 40}
		c.id.KeyID = id
		if strings.HasSuffix(id, "EXAMPLE") || strings.Contains(secret, "EXAMPLEKEY") {
			c.variant = variantExample
		}
		emit(c)
	}
}

// awsSecretsOf returns the offsets of the high-entropy 40-character
// strings of a line, computed once per line.
func awsSecretsOf(d *doc, lineStart int, line string) [][2]int {
	if got, ok := d.memo.awsSecrets[lineStart]; ok {
		return got
	}
	var out [][2]int
	for _, s := range awsSecretRE.FindAllStringSubmatchIndex(line, -1) {
		if entropy(line[s[2]:s[3]]) >= 3.5 {
			out = append(out, [2]int{lineStart + s[2], lineStart + s[3]})
		}
	}
	if d.memo.awsSecrets == nil {
		d.memo.awsSecrets = map[int][][2]int{}
	}
	d.memo.awsSecrets[lineStart] = out
	return out
}

// walkLines calls fn for each line within n lines of offset at, with the
// line's start offset and its distance.
//
// Only whole lines are walked: from a line cut by the window (a very long
// line), no further, so hostile input cannot make each hit read far.
func walkLines(d *doc, at, n int, fn func(start int, line string, dist int)) {
	ls, le := lineBounds(d.text, at, maxWindow)
	fn(ls, string(d.text[ls:le]), 0)
	pos := ls
	for dist := 1; dist <= n && pos > 0 && d.text[pos-1] == '\n'; dist++ {
		s, e := lineBounds(d.text, pos-1, maxWindow)
		fn(s, string(d.text[s:e]), dist)
		pos = s
	}
	pos = le
	for dist := 1; dist <= n && pos < len(d.text) && d.text[pos] == '\n'; dist++ {
		if pos+1 >= len(d.text) {
			break
		}
		s, e := lineBounds(d.text, pos+1, maxWindow)
		fn(s, string(d.text[s:e]), dist)
		pos = e
	}
}

// gcpFieldRE reads one string field of a GCP key file, JSON-escaped or not.
var gcpFieldRE = regexp.MustCompile(`\\?"(client_email|private_key_id|private_key|project_id)\\?"` +
	`\s*:\s*\\?"((?:[^"\\]|\\[^"]|\\\\)*)\\?"`)

// gcpSpan is how far around "type": "service_account" the other fields
// of the same key file are looked for.
const gcpSpan = 8 << 10

// detectGCP finds GCP service-account key files, with or without their
// optional certificate URL fields, and names the account by client_email.
func detectGCP(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	if !strings.Contains(text, "service_account") {
		return
	}
	lo := max(0, w.start-gcpSpan)
	hi := min(len(d.text), w.end+gcpSpan)
	if !d.claim("gcp", w.end, hi) {
		return
	}
	region := string(d.text[lo:hi])
	var c candidate
	var pk string
	for _, m := range gcpFieldRE.FindAllStringSubmatchIndex(region, -1) {
		v := region[m[4]:m[5]]
		switch region[m[2]:m[3]] {
		case "client_email":
			c.id.Email = v
		case "private_key_id":
			c.id.KeyID = v
		case "private_key":
			pk, c.at = v, lo+m[4]
		}
	}
	if pk == "" || c.id.Email == "" {
		return
	}
	head := pemBeginRE.FindStringSubmatchIndex(pk)
	if head == nil {
		return
	}
	body := pk[head[1]:]
	if end := strings.Index(body, "-----END "); end >= 0 {
		body = body[:end]
	}
	info := parseKey(strings.TrimSpace(pk[head[2]:head[3]]), false, body)
	if info.secret == "" {
		return
	}
	c.rule, c.kind, c.secret, c.prio = RuleCloudKey, "GCP service-account key", info.secret, 40
	emit(c)
}

// azureRE matches the shape of Microsoft Entra client secrets.
var azureRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:$|[^A-Za-z0-9_~.-])`)

var azureClientRE = regexp.MustCompile(`(?i)(?:client|app|application)[_.-]?id["']?\s*[:=]\s*["']?` +
	`([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)

// detectAzure finds Entra client secrets and names the application by a
// client ID written nearby.
func detectAzure(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	for _, m := range azureRE.FindAllStringSubmatchIndex(text, -1) {
		c := candidate{rule: RuleCloudKey, kind: "Azure client secret", secret: text[m[2]:m[3]],
			at: w.start + m[2], prio: 40}
		best := contextLines + 1
		walkLines(d, c.at, contextLines, func(_ int, line string, dist int) {
			if cm := azureClientRE.FindStringSubmatch(line); cm != nil && dist < best {
				c.id.KeyID, best = "app "+cm[1], dist
			}
		})
		emit(c)
	}
}

// jwtRE matches a JSON Web Token: two base64url JSON parts and a signature.
var jwtRE = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// jwtB64RE matches a JWT that is itself base64-encoded, as in the data
// of a Kubernetes Secret.
var jwtB64RE = regexp.MustCompile(`ZXlK[A-Za-z0-9+/]{40,}={0,2}`)

// detectJWT finds JWTs, decodes their claims and names a Kubernetes
// service account by its namespace and name.
func detectJWT(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:extendToken(d.text, w.end)])
	for _, m := range jwtRE.FindAllStringIndex(text, -1) {
		if c, ok := jwtCandidate(text[m[0]:m[1]]); ok {
			c.at = w.start + m[0]
			emit(c)
		}
	}
}

// detectJWTBase64 finds base64-wrapped JWTs.
func detectJWTBase64(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:extendToken(d.text, w.end)])
	for _, m := range jwtB64RE.FindAllStringIndex(text, -1) {
		raw, err := base64.StdEncoding.DecodeString(text[m[0]:m[1]])
		if err != nil {
			continue
		}
		tok := jwtRE.FindString(string(raw))
		if tok == "" || len(tok) < len(raw)-2 {
			continue
		}
		if c, ok := jwtCandidate(tok); ok {
			c.at, c.kind = w.start+m[0], c.kind+" (base64)"
			emit(c)
		}
	}
}

// maxToken bounds how far past a window a token is followed.
const maxToken = 64 << 10

// extendToken moves end past the rest of a token that the window cut:
// base64, base64url and JWT characters.
func extendToken(text []byte, end int) int {
	limit := min(len(text), end+maxToken)
	for end < limit {
		c := text[end]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '+' || c == '/' || c == '=' || c == '-' || c == '_' || c == '.') {
			break
		}
		end++
	}
	return end
}

// jwtCandidate decodes a JWT's header and claims; the token is the secret.
func jwtCandidate(tok string) (candidate, bool) {
	parts := strings.SplitN(tok, ".", 3)
	if len(parts) != 3 || len(parts[2]) < 16 {
		return candidate{}, false
	}
	var header map[string]any
	if !decodeJSONPart(parts[0], &header) || header["alg"] == nil {
		return candidate{}, false
	}
	var claims map[string]any
	if !decodeJSONPart(parts[1], &claims) {
		return candidate{}, false
	}
	c := candidate{rule: RuleCloudKey, kind: "JWT", secret: tok, prio: 40}
	ns, sa := k8sClaims(claims)
	if ns != "" || sa != "" {
		c.kind = "Kubernetes service-account token"
		c.id.Namespace, c.id.Account = ns, sa
		return c, true
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	c.id.Label = strings.TrimSpace(iss + " " + sub)
	return c, true
}

func decodeJSONPart(p string, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// k8sClaims reads the namespace and service account of a Kubernetes
// token: the legacy flat claims, the bound-token kubernetes.io object, or
// the subject system:serviceaccount:NS:NAME.
func k8sClaims(c map[string]any) (ns, sa string) {
	str := func(k string) string { s, _ := c[k].(string); return s }
	ns = str("kubernetes.io/serviceaccount/namespace")
	sa = str("kubernetes.io/serviceaccount/service-account.name")
	if k, ok := c["kubernetes.io"].(map[string]any); ok {
		if s, ok := k["namespace"].(string); ok && ns == "" {
			ns = s
		}
		if acct, ok := k["serviceaccount"].(map[string]any); ok && sa == "" {
			sa, _ = acct["name"].(string)
		}
	}
	if rest, ok := strings.CutPrefix(str("sub"), "system:serviceaccount:"); ok {
		n, a, _ := strings.Cut(rest, ":")
		if ns == "" {
			ns = n
		}
		if sa == "" {
			sa = a
		}
	}
	return ns, sa
}

// dockerAuthRE reads one registry entry of a Docker config.json.
var dockerAuthRE = regexp.MustCompile(`"([^"\s]{1,253})"\s*:\s*\{\s*"auth"\s*:\s*"([A-Za-z0-9+/=]{4,})"`)

// detectDocker finds registry credentials in Docker's config.json auths.
func detectDocker(d *doc, w window, emit func(candidate)) {
	limit := min(len(d.text), w.start+maxPEM)
	if !d.claim("docker", w.end, limit) {
		return
	}
	region := string(d.text[w.start:limit])
	for _, m := range dockerAuthRE.FindAllStringSubmatchIndex(region, -1) {
		raw, err := base64.StdEncoding.DecodeString(region[m[4]:m[5]])
		if err != nil {
			continue
		}
		user, pw, ok := strings.Cut(string(raw), ":")
		if !ok || isPlaceholder(pw) {
			continue
		}
		c := candidate{rule: RuleCloudKey, kind: "Docker registry auth", secret: pw,
			at: w.start + m[4], prio: 40}
		c.id.User = user
		c.id.Hosts = []string{strings.TrimPrefix(strings.TrimPrefix(region[m[2]:m[3]],
			"https://"), "http://")}
		emit(c)
	}
}

var kubeValueRE = regexp.MustCompile(`^\s*(client-key-data|token):\s*["']?([A-Za-z0-9+/=._~-]{16,})["']?\s*$`)
var kubeNameRE = regexp.MustCompile(`^\s*-?\s*name:\s*["']?([^"'\s]+)`)

// detectKubeconfig finds the client keys and bearer tokens of kubeconfig
// users and names them by the user entry.
func detectKubeconfig(d *doc, w window, emit func(candidate)) {
	if !d.class.kubeconfig {
		return
	}
	ls, le := lineBounds(d.text, w.start, maxWindow)
	m := kubeValueRE.FindStringSubmatchIndex(string(d.text[ls:le]))
	if m == nil {
		return
	}
	line := string(d.text[ls:le])
	val := line[m[4]:m[5]]
	user := ""
	pos := ls
	for i := 0; i < 20 && pos > 0 && user == ""; i++ {
		s, e := lineBounds(d.text, pos-1, maxWindow)
		if nm := kubeNameRE.FindStringSubmatch(string(d.text[s:e])); nm != nil {
			user = nm[1]
		}
		pos = s
	}
	c := candidate{at: ls + m[4], prio: 35}
	c.id.Label = "kubeconfig user " + user
	switch line[m[2]:m[3]] {
	case "client-key-data":
		raw, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return
		}
		h := pemBeginRE.FindSubmatchIndex(raw)
		if h == nil {
			return
		}
		body := string(raw[h[1]:])
		if end := strings.Index(body, "-----END "); end >= 0 {
			body = body[:end]
		}
		info := parseKey(strings.TrimSpace(string(raw[h[2]:h[3]])), false, body)
		if info.secret == "" {
			return
		}
		c.rule, c.kind, c.secret = RulePrivateKey, "kubeconfig client key", info.secret
		c.id.KeyID = info.fingerprint
	case "token":
		if strings.HasPrefix(val, "eyJ") || !tokenLike(val) {
			return // a JWT is reported with its claims by the JWT detector
		}
		c.rule, c.kind, c.secret = RuleCloudKey, "kubeconfig bearer token", val
	}
	emit(c)
}
