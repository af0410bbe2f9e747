package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// freeAddr returns a loopback address with a free TCP port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestSMSCallbackConfigRefusesOpenCallbacks(t *testing.T) {
	kannel := map[string]string{"HUIFANG_KANNEL_SENDSMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms"}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		err  string
	}{
		{"kannel without token", kannel, "HUIFANG_SMS_PROVIDER=kannel sends real messages, so its callbacks need HUIFANG_SMS_TOKEN"},
		{"aliyun without token", map[string]string{"HUIFANG_SMS_PROVIDER": "aliyun", "HUIFANG_ALIYUN_ACCESS_KEY_ID": "id", "HUIFANG_ALIYUN_ACCESS_KEY_SECRET": "s"},
			"HUIFANG_SMS_PROVIDER=aliyun sends real messages"},
		{"tencent without token", map[string]string{"HUIFANG_SMS_PROVIDER": "tencent", "HUIFANG_TENCENT_SECRET_ID": "id", "HUIFANG_TENCENT_SECRET_KEY": "k",
			"HUIFANG_TENCENT_SDK_APP_ID": "1"}, "HUIFANG_SMS_PROVIDER=tencent sends real messages"},
		{"short token", with(kannel, "HUIFANG_SMS_TOKEN", "s3cret"), "HUIFANG_SMS_TOKEN must be at least 16"},
		{"token with a query character", with(kannel, "HUIFANG_SMS_TOKEN", "0123456789abcdef&x=1"), "HUIFANG_SMS_TOKEN must be at least 16"},
		{"callbacks on the console port", with(kannel, "HUIFANG_SMS_TOKEN", "0123456789abcdef", "HUIFANG_SMS_CALLBACK_ADDR", "127.0.0.1:8080"),
			"must not be the console's HUIFANG_HTTP_ADDR"},
		{"callback address not host:port", with(kannel, "HUIFANG_SMS_TOKEN", "0123456789abcdef", "HUIFANG_SMS_CALLBACK_ADDR", "8081"),
			"HUIFANG_SMS_CALLBACK_ADDR must be HOST:PORT or off"},
		{"kannel with token", with(kannel, "HUIFANG_SMS_TOKEN", "0123456789abcdef"), ""},
		{"the development sender needs none", map[string]string{}, ""},
	} {
		cfg, err := loadSMSConfig(envGetter(c.env), "127.0.0.1:8080")
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, "127.0.0.1:8091", cfg.CallbackAddr, c.name)
		require.Equal(t, "http://127.0.0.1:8091/sms/kannel", cfg.CallbackURL, c.name)
	}
}

// TestSMSCallbacksAttack forges a customer's opt-out (a TD reply) and a delivery report the
// way issue 12 found them open: on the public console port, and on the callback port
// without the token. serve answers 404 on the console port and 403 without the token, and
// stores nothing; Kannel with the token is heard.
func TestSMSCallbacksAttack(t *testing.T) {
	db := storetest.NewDB(t)
	env, _, errb := testEnvFor(t, db.URL)
	httpAddr, cbAddr := freeAddr(t), freeAddr(t)
	const token = "callback-token-0123456789"
	vars := map[string]string{"HUIFANG_HTTP_ADDR": httpAddr, "HUIFANG_SMS_CALLBACK_ADDR": cbAddr, "HUIFANG_SMS_TOKEN": token,
		"HUIFANG_KANNEL_SENDSMS_URL": "http://127.0.0.1:9/cgi-bin/sendsms"}
	base := env.getenv
	env.getenv = func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return base(k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- runWith(ctx, env, []string{"serve", "--only", "sms-callbacks,http"}) }()
	t.Cleanup(func() {
		cancel()
		require.Equal(t, 0, <-done, errb.String())
	})

	get := func(addr, path string, q url.Values) int {
		resp, err := http.Get("http://" + addr + path + "?" + q.Encode())
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Eventually(t, func() bool {
		return get(httpAddr, "/healthz", nil) == http.StatusOK && get(cbAddr, "/", nil) == http.StatusNotFound
	},
		10*time.Second, 20*time.Millisecond, "serve did not start: %s", errb.String())

	optOut := url.Values{"from": {"13900000001"}, "to": {"106900001"}, "text": {"TD"}, "ts": {"1795000000"}}
	report := url.Values{"id": {"1"}, "status": {"1"}, "ts": {"1795000000"}}
	withToken := func(q url.Values, tok string) url.Values {
		out := url.Values{"token": {tok}}
		for k, v := range q {
			out[k] = v
		}
		return out
	}
	replies := func() (n int) {
		require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sms_replies`).Scan(&n))
		return n
	}
	for _, c := range []struct {
		name, addr, path string
		q                url.Values
		want             int
	}{
		{"opt-out on the console port", httpAddr, "/sms/kannel/mo", optOut, http.StatusNotFound},
		{"opt-out on the console port with the token", httpAddr, "/sms/kannel/mo", withToken(optOut, token), http.StatusNotFound},
		{"delivery report on the console port", httpAddr, "/sms/kannel/dlr", report, http.StatusNotFound},
		{"aliyun reply on the console port", httpAddr, "/sms/aliyun/reply", nil, http.StatusNotFound},
		{"tencent report on the console port", httpAddr, "/sms/tencent/report", nil, http.StatusNotFound},
		{"opt-out without the token", cbAddr, "/sms/kannel/mo", optOut, http.StatusForbidden},
		{"opt-out with a wrong token", cbAddr, "/sms/kannel/mo", withToken(optOut, "callback-token-0123456788"), http.StatusForbidden},
		{"delivery report without the token", cbAddr, "/sms/kannel/dlr", report, http.StatusForbidden},
		{"aliyun reply without the token", cbAddr, "/sms/aliyun/reply", nil, http.StatusForbidden},
		{"tencent report without the token", cbAddr, "/sms/tencent/report", nil, http.StatusForbidden},
	} {
		require.Equal(t, c.want, get(c.addr, c.path, c.q), c.name)
	}
	require.Zero(t, replies(), "a forged reply was stored")

	// Kannel, with the token, on the callback port, is heard.
	require.Equal(t, http.StatusOK, get(cbAddr, "/sms/kannel/mo", withToken(optOut, token)))
	require.Equal(t, 1, replies())
}
