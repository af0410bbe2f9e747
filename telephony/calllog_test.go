package telephony

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestStoreCallLogFromSippCall(t *testing.T) {
	db := storetest.New(t)
	s := startSipp(t, "uas_status.xml", "udp", "status", "486", "reason", "Busy Here")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}, CallLog: NewStoreCallLog(db)})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001", Kind: "test"})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t))

	row, err := store.New(db).GetCallAttemptByCallID(context.Background(), res.CallID)
	require.NoError(t, err)
	require.Equal(t, "busy", row.Outcome)
	require.EqualValues(t, 486, row.SipStatus)
	require.Equal(t, "Busy Here", row.SipReason)
	require.Equal(t, "13900000001", row.ToNumber)
	require.Equal(t, s.TrunkURI(), row.Trunk)
	require.Equal(t, "test", row.Kind)
	require.NotNil(t, row.RingAt)
	require.Nil(t, row.AnswerAt)
	require.NotNil(t, row.EndAt)
	require.Nil(t, row.DealerID)
}
