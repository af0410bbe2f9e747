package telephony

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/kamailiotest"
	"github.com/huifang/huifang/telephony/media"
)

// sipAgents makes active agents with the secrets "pw" + their number's last digit (agent4:
// pw4) in db, as Kamailio reads them (sip_subscribers), and returns them as the gateway's
// Credentials.
func sipAgents(t *testing.T, db *storetest.DB, names ...string) mapCredentials {
	t.Helper()
	ctx := context.Background()
	q := store.New(db.Pool)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	require.NoError(t, err)
	creds := mapCredentials{}
	for _, name := range names {
		u, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: d.ID, Username: name, DisplayName: name, Role: "agent", PasswordHash: "x"})
		require.NoError(t, err)
		ha1 := HA1(name, store.SIPRealm, "pw"+name[len(name)-1:])
		_, err = db.Pool.Exec(ctx, "UPDATE users SET sip_ha1 = $1 WHERE id = $2", ha1, u.ID)
		require.NoError(t, err)
		creds[name] = Agent{Username: name, HA1: ha1, UserID: u.ID, DealerID: d.ID}
	}
	return creds
}

// TestKamailioTwoGatewaysReachOnePhone runs Kamailio with deploy/kamailio/kamailio.cfg in
// front of two gateways: the agent's phone registers to Kamailio (digest checked against
// the sip_subscribers view in Postgres), each gateway bridges a customer to it by calling
// the phone through Kamailio, and both voices are recorded both times. A wrong password
// is refused and an agent with no registration is not reached.
func TestKamailioTwoGatewaysReachOnePhone(t *testing.T) {
	kamailiotest.Require(t)
	db := storetest.NewDB(t)
	ctx := context.Background()
	creds := sipAgents(t, db, "agent4", "agent5")
	agent := creds["agent4"]

	customer := runSippN(t, "uas_answer_pcap.xml", "udp", "", 2, nil, "talk", "1500", "codec", "8", "pcap", sippPCMA)
	proxyPort := freePort(t)
	proxy := "127.0.0.1:" + strconv.Itoa(proxyPort)
	var gws []*Gateway
	for range 2 {
		gws = append(gws, newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds,
			AgentProxy: proxy, RecordingsDir: t.TempDir()}))
	}
	k := kamailiotest.Start(t, kamailiotest.Options{DB: db, Gateways: []string{gws[0].Addr(), gws[1].Addr()}, Port: proxyPort})

	phone := runSippN(t, "uas_agent_phone_proxied.xml", "udp", "", 2, nil, "codec", "8", "pcap", sippPCMA)
	wrong := startSippUAC(t, "uac_register_refused.xml", "udp", k.Addr,
		"user", "agent4", "password", "wrong", "contact_port", strconv.Itoa(phone.Port))
	require.NoError(t, wrong.Wait(t), "a wrong password is refused")
	reg := startSippUAC(t, "uac_register.xml", "udp", k.Addr,
		"user", "agent4", "password", "pw4", "contact_port", strconv.Itoa(phone.Port))
	require.NoError(t, reg.Wait(t), "the phone registers to Kamailio")
	require.False(t, gws[0].Registered("agent4"), "the location is Kamailio's, not a gateway's")

	// agent5 never registered: Kamailio answers 480 and no customer is called.
	_, err := gws[0].DialAgent(ctx, "agent5", DialParams{To: "13900000009"})
	require.ErrorIs(t, err, ErrAgentNotConnected)

	for i, g := range gws {
		require.True(t, g.ReachesAgent("agent4"))
		res, err := g.DialAgent(ctx, "agent4", DialParams{To: "13900000001"})
		require.NoError(t, err, "gateway %d", i+1)
		require.Equal(t, OutcomeAnswered, res.Outcome, "gateway %d", i+1)
		require.Equal(t, agent.UserID, res.Meta.AgentUserID)
		left, right, err := media.ReadStereoWAV(res.Recording)
		require.NoError(t, err)
		require.Greater(t, media.RMS(left), 300.0, "gateway %d: customer's voice on the left", i+1)
		require.Greater(t, media.RMS(right), 300.0, "gateway %d: agent's voice on the right", i+1)
		require.False(t, g.AgentConnected("agent4"), "the agent's leg ends with the call")
	}
	require.NoError(t, customer.Wait(t))
	require.NoError(t, phone.Wait(t), "both legs were hung up through Kamailio")

	// Kamailio probes the gateways: one that stops is marked inactive within seconds.
	flags, err := k.GatewayFlags()
	require.NoError(t, err)
	require.Equal(t, "AP", flags["sip:"+gws[0].Addr()], "%v", flags)
	require.NoError(t, gws[1].Close())
	require.Eventually(t, func() bool {
		flags, err := k.GatewayFlags()
		return err == nil && strings.HasPrefix(flags["sip:"+gws[1].Addr()], "I") && flags["sip:"+gws[0].Addr()] == "AP"
	}, 20*time.Second, 100*time.Millisecond, "the stopped gateway is marked inactive")
}

// TestKamailioBaresipPhone: a real softphone (baresip, answering automatically) registers
// to Kamailio with the agent's digest secret; a gateway bridges a customer to it through
// Kamailio and both voices are recorded.
func TestKamailioBaresipPhone(t *testing.T) {
	kamailiotest.Require(t)
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("baresip is not installed (Debian package baresip); CI installs it")
	}
	db := storetest.NewDB(t)
	creds := sipAgents(t, db, "agent6")
	customer := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "2000", "codec", "8", "pcap", sippPCMA)
	proxyPort := freePort(t)
	proxy := "127.0.0.1:" + strconv.Itoa(proxyPort)
	g := newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds, AgentProxy: proxy,
		RecordingsDir: t.TempDir(), ByeTimeout: 300 * time.Millisecond})
	k := kamailiotest.Start(t, kamailiotest.Options{DB: db, Gateways: []string{g.Addr()}, Port: proxyPort})

	acct := "<sip:agent6@" + k.Addr + ">;auth_pass=pw6;regint=600;answermode=auto;audio_codecs=PCMU\n"
	var out *storetest.SyncBuffer
	for attempt := 1; attempt <= 5; attempt++ {
		var ok bool
		if out, ok = runBaresip(t, acct, 15); ok {
			break
		}
	}
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "200 OK") }, 10*time.Second, 20*time.Millisecond,
		"baresip registered to Kamailio:\n%s", out)

	res, err := g.DialAgent(context.Background(), "agent6", DialParams{To: "13900000001"})
	require.NoError(t, err, "baresip:\n%s", out)
	require.NoError(t, customer.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	left, right, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Greater(t, media.RMS(left), 300.0, "customer's voice on the left")
	require.Greater(t, media.RMS(right), 300.0, "baresip's tone on the right, straight from the phone")
	require.False(t, g.AgentConnected("agent6"), "the leg ended with the call")
}
