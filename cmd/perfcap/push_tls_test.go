package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pushUser and pushPassword are the credentials the TLS Pushgateway
// accepts; pushHash is pushPassword's bcrypt hash, as its web config wants.
const (
	pushUser     = "ci"
	pushPassword = "ci-pass-7Qw"
	pushHash     = "$2a$10$0tVFB/ufA2172vnTBSnFnenSwJh3.v4bxX/y2sFrSmFkgmZy8OnIe"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool trusting it.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "perfcap test gateway"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, block := range map[string]*pem.Block{cert: {Type: "CERTIFICATE", Bytes: der}, key: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(parsed)
	return cert, key, pool
}

// TestPushgatewayTLSAndBasicAuth pushes a bundle to a real Pushgateway
// that serves https only and asks for a password (its --web.config.file):
// with the credentials in PERFCAP_PUSH_USER/PASSWORD and the gateway's
// certificate trusted (SSL_CERT_FILE, as for any Go program), the push
// lands; a wrong password and an untrusted certificate are each a warning
// that names the failure, exit 0, the bundle unchanged, and no
// credential on the command line or in any output.
func TestPushgatewayTLSAndBasicAuth(t *testing.T) {
	path, err := exec.LookPath("prometheus-pushgateway")
	if err != nil {
		t.Skip("prometheus-pushgateway is not installed: apt-get install prometheus-pushgateway (.ci/run does)")
	}
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	web := filepath.Join(dir, "web.yml")
	conf := "tls_server_config:\n  cert_file: " + cert + "\n  key_file: " + key + "\nbasic_auth_users:\n  " + pushUser + ": " + pushHash + "\n"
	if err := os.WriteFile(web, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(freePort(t))
	gw := "https://127.0.0.1:" + port
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(url string) (int, []byte) {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(pushUser, pushPassword)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	startServerWhen(t, nil, path, gw+"/-/ready", func() bool { code, _ := get(gw + "/-/ready"); return code == http.StatusOK },
		"--web.listen-address=127.0.0.1:"+port, "--web.config.file="+web, "--persistence.file=")
	if code, _ := httpGet(t, "http://127.0.0.1:"+port+"/-/ready"); code == http.StatusOK {
		t.Fatalf("the gateway answers plain http: its web config did not take")
	}

	bundlePath := diffBundle("go-after.tar.zst")
	before := fileSum(t, bundlePath)
	push := func(job string, env ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(perfcapBin, "push", "--job", job, gw, bundlePath)
		cmd.Env = append(os.Environ(), env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stderr.String(), pushPassword) {
			t.Errorf("the password is in perfcap's output:\n%s", stderr.String())
		}
		return code, stderr.String()
	}
	trusted := "SSL_CERT_FILE=" + cert
	code, stderr := push("tls-ok", trusted, "PERFCAP_PUSH_USER="+pushUser, "PERFCAP_PUSH_PASSWORD="+pushPassword)
	if code != 0 || !strings.Contains(stderr, `as job "tls-ok"`) {
		t.Fatalf("push over https with basic auth: exit %d\n%s", code, stderr)
	}
	if status, body := get(gw + "/api/v1/metrics"); status != http.StatusOK || !strings.Contains(string(body), `"tls-ok"`) {
		t.Errorf("the gateway does not hold job tls-ok (status %d):\n%.2000s", status, body)
	}
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"wrong password", []string{trusted, "PERFCAP_PUSH_USER=" + pushUser, "PERFCAP_PUSH_PASSWORD=not-" + pushPassword}, "401"},
		{"no credentials", []string{trusted}, "401"},
		{"untrusted certificate", []string{"SSL_CERT_FILE=" + filepath.Join(dir, "none.pem"), "PERFCAP_PUSH_USER=" + pushUser, "PERFCAP_PUSH_PASSWORD=" + pushPassword}, "certificate"},
	} {
		code, stderr := push("tls-bad", tc.env...)
		if code != 0 || !strings.Contains(stderr, "warning: the push to the Pushgateway failed") || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, want 0 and a warning naming %q:\n%s", tc.name, code, tc.want, stderr)
		}
	}
	if _, body := get(gw + "/api/v1/metrics"); strings.Contains(string(body), `"tls-bad"`) {
		t.Errorf("a refused push reached the gateway")
	}
	if fileSum(t, bundlePath) != before {
		t.Errorf("the bundle changed")
	}
}
