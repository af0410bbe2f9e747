package telephony

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// memBindings is a BindingStore for tests; fail makes every call fail.
type memBindings struct {
	mu   sync.Mutex
	m    map[string]Binding
	fail bool
}

var errStoreDown = errors.New("store down")

func (s *memBindings) SaveBinding(_ context.Context, b Binding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errStoreDown
	}
	s.m[b.Username] = b
	return nil
}

func (s *memBindings) DeleteBinding(_ context.Context, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errStoreDown
	}
	delete(s.m, user)
	return nil
}

// LoadBindings returns every binding, expired or not: the gateway must check.
func (s *memBindings) LoadBindings(context.Context, time.Time) ([]Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return nil, errStoreDown
	}
	var out []Binding
	for _, b := range s.m {
		out = append(out, b)
	}
	return out, nil
}

// TestRestoreBindings starts a gateway on stored bindings and checks which come back.
func TestRestoreBindings(t *testing.T) {
	creds := mapCredentials{}
	for i := 1; i <= 5; i++ {
		u := "agent" + strconv.Itoa(i)
		creds[u] = Agent{Username: u, HA1: HA1(u, "huifang", "pw"), UserID: int64(i)}
	}
	live := time.Now().Add(time.Hour)
	store := &memBindings{m: map[string]Binding{
		"agent1": {Username: "agent1", UserID: 1, Contact: "sip:agent1@127.0.0.1:5071;transport=tcp", Transport: "TCP", Expires: live},
		"agent2": {Username: "agent2", UserID: 2, Contact: "sip:agent2@127.0.0.1:5072", Transport: "UDP", Expires: time.Now().Add(-time.Second)},
		"agent3": {Username: "agent3", UserID: 99, Contact: "sip:agent3@127.0.0.1:5073", Transport: "UDP", Expires: live},
		"agent4": {Username: "agent4", UserID: 4, Contact: "not a uri", Transport: "UDP", Expires: live},
		"gone":   {Username: "gone", UserID: 6, Contact: "sip:gone@127.0.0.1:5076", Transport: "UDP", Expires: live},
	}}
	g := newTestGateway(t, Config{Credentials: creds, Bindings: store})
	b, ok := g.RegisteredBinding("agent1")
	require.True(t, ok)
	require.Equal(t, "sip:agent1@127.0.0.1:5071;transport=tcp", b.Contact)
	require.Equal(t, "TCP", b.Transport)
	require.EqualValues(t, 1, b.UserID)
	for _, user := range []string{"agent2", "agent3", "agent4", "gone"} {
		require.False(t, g.Registered(user), "%s is not restored", user)
	}
}

// TestRegisterWithStoreDown checks a REGISTER succeeds from memory when the store fails,
// and that a gateway whose store cannot be read still starts.
func TestRegisterWithStoreDown(t *testing.T) {
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1"), UserID: 7}}
	g := newTestGateway(t, Config{Credentials: creds, Bindings: &memBindings{fail: true}})
	reg := startSippUAC(t, "uac_register.xml", "udp", g.Addr(), "user", "agent1", "password", "pw1", "contact_port", "5099")
	require.NoError(t, reg.Wait(t))
	b, ok := g.RegisteredBinding("agent1")
	require.True(t, ok)
	require.Equal(t, "sip:agent1@127.0.0.1:5099", b.Contact)
}
