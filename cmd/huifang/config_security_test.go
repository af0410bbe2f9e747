package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
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

// TestComposePublishesLoopbackOnly: docker compose publishes nothing beyond the host's
// loopback and sets no known password (the demo users get a random one).
func TestComposePublishesLoopbackOnly(t *testing.T) {
	var compose struct {
		Services map[string]struct {
			Command []string `yaml:"command"`
			Ports   []string `yaml:"ports"`
		} `yaml:"services"`
	}
	readYAML(t, filepath.Join("..", "..", "docker-compose.yml"), &compose)
	require.NotEmpty(t, compose.Services["huifang"].Ports)
	for name, s := range compose.Services {
		for _, p := range s.Ports {
			require.True(t, strings.HasPrefix(p, "127.0.0.1:"), "%s publishes %s beyond loopback", name, p)
		}
		require.NotContains(t, s.Command, "--password", "%s sets a known password", name)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	require.NoError(t, err)
	require.NotContains(t, string(raw), "huifang-demo")
}
