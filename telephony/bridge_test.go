package telephony

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
)

// mapCredentials is a Credentials for tests.
type mapCredentials map[string]Agent

func (m mapCredentials) LookupAgent(_ context.Context, user string) (Agent, error) {
	a, ok := m[user]
	if !ok {
		return Agent{}, ErrUnknownAgent
	}
	return a, nil
}

// TestBridgeAgentToCustomer registers a sipp phone as an agent, lets it call in at login,
// calls a sipp customer for it, and checks the recording holds both voices: the customer
// on the left, the agent on the right.
func TestBridgeAgentToCustomer(t *testing.T) {
	customer := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "2500", "codec", "8", "pcap", sippPCMA)
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1"), UserID: 7, DealerID: 3}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds, RecordingsDir: t.TempDir()})
	phone := startSippUAC(t, "uac_agent.xml", "udp", g.Addr(),
		"user", "agent1", "password", "pw1", "wait", "300", "stay", "3500", "pcap", sippPCMA)

	for i := 0; i < 200 && !g.AgentConnected("agent1"); i++ {
		time.Sleep(25 * time.Millisecond)
	}
	require.True(t, g.Registered("agent1"), "the phone registered")
	require.True(t, g.AgentConnected("agent1"), "the agent's leg is up")

	res, err := g.DialAgent(context.Background(), "agent1", DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.NoError(t, customer.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Equal(t, HangupCustomer, res.HangupBy)
	require.Equal(t, "agent", res.Kind)
	require.EqualValues(t, 7, res.Meta.AgentUserID)

	left, right, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Greater(t, media.RMS(left), 300.0, "customer's voice on the left")
	require.Greater(t, media.RMS(right), 300.0, "agent's voice on the right")

	// The agent's leg outlives the customer call, until the phone logs out.
	require.True(t, g.AgentConnected("agent1"))
	require.NoError(t, phone.Wait(t))
	for i := 0; i < 100 && g.AgentConnected("agent1"); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	require.False(t, g.AgentConnected("agent1"))
	require.Zero(t, g.ActiveDialogs())
}

// TestCallAgentAtLogin registers a sipp phone, has the gateway call it as the agent's
// leg, bridges a sipp customer onto it, and checks both voices are recorded.
func TestCallAgentAtLogin(t *testing.T) {
	customer := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "2000", "codec", "8", "pcap", sippPCMA)
	creds := mapCredentials{"agent2": {Username: "agent2", HA1: HA1("agent2", "huifang", "pw2"), UserID: 9}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds, RecordingsDir: t.TempDir()})
	phone := startSipp(t, "uas_agent_phone.xml", "udp", "codec", "8", "pcap", sippPCMA)
	reg := startSippUAC(t, "uac_register.xml", "udp", g.Addr(),
		"user", "agent2", "password", "pw2", "contact_port", strconv.Itoa(phone.Port))
	require.NoError(t, reg.Wait(t))
	require.True(t, g.Registered("agent2"))

	ctx, logout := context.WithCancel(context.Background())
	legDone := make(chan *CallResult, 1)
	legErr := make(chan error, 1)
	go func() {
		res, err := g.CallAgent(ctx, "agent2")
		legErr <- err
		legDone <- res
	}()
	waitAgent(t, g, "agent2")

	res, err := g.DialAgent(context.Background(), "agent2", DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.NoError(t, customer.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	left, right, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Greater(t, media.RMS(left), 300.0, "customer's voice on the left")
	require.Greater(t, media.RMS(right), 300.0, "agent's voice on the right")

	logout()
	require.NoError(t, <-legErr)
	leg := <-legDone
	require.Equal(t, OutcomeAnswered, leg.Outcome)
	require.Equal(t, HangupSystem, leg.HangupBy)
	require.NoError(t, phone.Wait(t), "the phone got our BYE")
	require.False(t, g.AgentConnected("agent2"))
}
