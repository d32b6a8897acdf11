package secrets

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"sync"
)

// testRSAKey is the base64 DER of an RSA key drawn when the tests start:
// no real or published key is committed to the repository.
var testRSAKey = sync.OnceValue(func() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(k))
})()
