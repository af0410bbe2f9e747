package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key under dir and returns their
// paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "huifang test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeHTTPS: with HUIFANG_TLS_CERT_FILE and _KEY_FILE, serve answers HTTPS on the
// console's address (no reverse proxy), its cookies are Secure, its pages carry HSTS,
// plain HTTP gets nothing, and /metrics is not on the public port.
func TestServeHTTPS(t *testing.T) {
	db := storetest.NewDB(t)
	env, _, errb := testEnvFor(t, db.URL)
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	addr := freeAddr(t)
	vars := map[string]string{"HUIFANG_HTTP_ADDR": addr, "HUIFANG_TLS_CERT_FILE": certFile, "HUIFANG_TLS_KEY_FILE": keyFile,
		"HUIFANG_METRICS_ADDR": "off", "HUIFANG_SMS_CALLBACK_ADDR": "off", "HUIFANG_RECORDINGS_DIR": t.TempDir()}
	base := env.getenv
	env.getenv = func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return base(k)
	}
	cfg, err := loadConfig(env.getenv)
	require.NoError(t, err)
	require.Equal(t, "https://"+addr, cfg.PublicURL)
	require.True(t, cfg.SecureCookies)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- runWith(ctx, env, []string{"serve", "--only", "console,http"}) }()
	t.Cleanup(func() {
		cancel()
		require.Equal(t, 0, <-done, errb.String())
	})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		resp, err := c.Get("https://" + addr + path)
		if err != nil {
			return nil, ""
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	require.Eventually(t, func() bool { r, _ := get("/healthz"); return r != nil && r.StatusCode == http.StatusOK },
		10*time.Second, 20*time.Millisecond, "serve did not start: %s", errb.String())

	resp, _ := get("/login")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "max-age=31536000", resp.Header.Get("Strict-Transport-Security"))
	require.NotEmpty(t, resp.Cookies())
	for _, ck := range resp.Cookies() {
		require.True(t, ck.Secure, ck.Name)
	}
	resp, _ = get("/metrics")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "/metrics on the public port")

	// Plain HTTP on the TLS port is not served.
	plain, err := http.Get("http://" + addr + "/login")
	if err == nil {
		b, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		require.NotContains(t, string(b), "<form", "plain HTTP served the console")
	}
}

func TestConfigTLSFiles(t *testing.T) {
	certFile, _, _ := selfSigned(t, t.TempDir())
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HUIFANG_TLS_CERT_FILE": certFile}, "HUIFANG_TLS_CERT_FILE and HUIFANG_TLS_KEY_FILE go together"},
		{map[string]string{"HUIFANG_TLS_CERT_FILE": certFile, "HUIFANG_TLS_KEY_FILE": "/nonexistent/key.pem"}, "HUIFANG_TLS_CERT_FILE/HUIFANG_TLS_KEY_FILE: open /nonexistent/key.pem"},
	} {
		_, err := loadConfig(func(k string) string { return c.env[k] })
		require.ErrorContains(t, err, c.want)
	}
	// An https public URL (a reverse proxy in front) makes cookies Secure, whatever the setting.
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"HUIFANG_PUBLIC_URL": "https://call.example.com", "HUIFANG_SECURE_COOKIES": "false"}[k]
	})
	require.NoError(t, err)
	require.True(t, cfg.SecureCookies)
}

// TestHealthzHidesErrors: /healthz is on the public port; it names what is down, never
// the error's text (addresses, user names).
func TestHealthzHidesErrors(t *testing.T) {
	db := storetest.NewDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	rdb := redis.NewClient(&redis.Options{Addr: dead, Username: "secret-user", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	d := &deps{cfg: &config{}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), db: db.Pool, rdb: rdb, mux: http.NewServeMux()}
	newHTTPPart(d)
	srv := httptest.NewServer(d.mux)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "redis: unavailable\n", string(b))
	require.False(t, strings.Contains(string(b), dead) || strings.Contains(string(b), "dial"))
}
