package sms

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcsms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/phone"
)

// tencentPullLimit is the most PullSmsSendStatusByPhoneNumber lists at once (its Offset
// is always 0, so there is no second page).
const tencentPullLimit = 100

// tencentPullDays is how far back PullSmsSendStatusByPhoneNumber can look.
const tencentPullDays = 7

// tencentSkew widens the window asked about on both sides, for clocks that differ.
const tencentSkew = time.Minute

// Confirm says whether Tencent accepted m, a message left in 'sending' by a sender that
// stopped between the request and the answer: it lists, with
// PullSmsSendStatusByPhoneNumber (sms 2021-01-11, signed TC3-HMAC-SHA256 as SendSms is),
// the status reports of m's number from the claim until now, and looks for m's id in
// SessionContext (Submit sets it). Listed: accepted, with Tencent's SerialNo as the
// provider id.
//
// Tencent lists status reports, not submissions: a message it accepted whose report has
// not come back (a phone switched off) is not listed, and Tencent returns SessionContext
// only once its SMS helpdesk has enabled that for the account. So "not listed" is never
// taken for "not accepted" (sending the message again could reach the customer twice):
// before ConfirmAfter since the claim Confirm returns a *ConfirmLaterError (ask again at
// the next sweep); after it, unknown, and the sweep leaves the message to a person. The
// same when a report of the window carries no SessionContext or the list is full. An
// error of the API or the network: unknown, with the error.
func (t *Tencent) Confirm(ctx context.Context, m store.OutgoingSMS, claimedAt time.Time) (accepted, known bool, providerID string, err error) {
	want := strconv.FormatInt(m.ID, 10)
	now := t.cfg.Now()
	begin := claimedAt.Add(-tencentSkew)
	if oldest := now.Add(-tencentPullDays*24*time.Hour + tencentSkew); begin.Before(oldest) {
		begin = oldest
	}
	req := tcsms.NewPullSmsSendStatusByPhoneNumberRequest()
	req.SmsSdkAppId = common.StringPtr(t.cfg.SDKAppID)
	req.PhoneNumber = common.StringPtr(phone.E164(m.Phone))
	req.BeginTime = common.Uint64Ptr(uint64(begin.Unix()))
	req.EndTime = common.Uint64Ptr(uint64(now.Add(tencentSkew).Unix()))
	req.Offset = common.Uint64Ptr(0)
	req.Limit = common.Uint64Ptr(tencentPullLimit)
	resp, err := t.client.PullSmsSendStatusByPhoneNumberWithContext(ctx, req)
	if err != nil {
		return false, false, "", fmt.Errorf("tencent sms: pull send status of message %d: %w", m.ID, err)
	}
	if resp.Response == nil {
		return false, false, "", fmt.Errorf("tencent sms: pull send status of message %d: an answer without Response", m.ID)
	}
	blind := false // a report we cannot attribute
	for _, st := range resp.Response.PullSmsSendStatusSet {
		if st == nil {
			continue
		}
		sc := strings.TrimSpace(deref(st.SessionContext))
		if sc == want {
			if id := deref(st.SerialNo); id != "" {
				return true, true, id, nil
			}
			return true, true, want, nil
		}
		if sc == "" {
			blind = true
		}
	}
	if blind {
		return false, false, "", fmt.Errorf("tencent sms: message %d: Tencent's status reports carry no SessionContext (ask Tencent's SMS helpdesk to return it); left to a person", m.ID)
	}
	if len(resp.Response.PullSmsSendStatusSet) >= tencentPullLimit {
		return false, false, "", fmt.Errorf("tencent sms: message %d: %d status reports in the window, the most Tencent lists; left to a person", m.ID, tencentPullLimit)
	}
	if now.Sub(claimedAt) < t.cfg.ConfirmAfter {
		return false, false, "", &ConfirmLaterError{Provider: "tencent", ID: m.ID}
	}
	return false, false, "", nil
}
