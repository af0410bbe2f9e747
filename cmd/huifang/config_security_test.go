package main

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTrustedProxiesSetting(t *testing.T) {
	cfg, err := loadConfig(func(name string) string {
		return map[string]string{"HUIFANG_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1,::1"}[name]
	})
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("::1/128")}, cfg.TrustedProxies)

	_, err = loadConfig(func(name string) string { return map[string]string{"HUIFANG_TRUSTED_PROXIES": "proxy.local"}[name] })
	require.ErrorContains(t, err, `HUIFANG_TRUSTED_PROXIES: "proxy.local" is neither an IP address nor a CIDR prefix`)
}
