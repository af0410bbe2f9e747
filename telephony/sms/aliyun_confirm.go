package sms

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/store"
)

// aliyunDay is the zone of QuerySendDetails' SendDate: Beijing time.
var aliyunDay = time.FixedZone("CST", 8*3600)

// aliyunPageSize is the most QuerySendDetails lists on one page.
const aliyunPageSize = 50

// aliyunDetails is QuerySendDetails' JSON answer.
type aliyunDetails struct {
	Code       string      `json:"Code"`
	Message    string      `json:"Message"`
	TotalCount json.Number `json:"TotalCount"`
	DTOs       struct {
		List []struct {
			OutID      string      `json:"OutId"`
			PhoneNum   string      `json:"PhoneNum"`
			SendStatus json.Number `json:"SendStatus"`
			SendDate   string      `json:"SendDate"`
		} `json:"SmsSendDetailDTO"`
	} `json:"SmsSendDetailDTOs"`
}

// ConfirmLaterError is Confirm's answer for a message the provider does not list yet,
// claimed less than ConfirmAfter ago: ask again later (Later reports true).
type ConfirmLaterError struct {
	// Provider is the provider asked (aliyun, tencent).
	Provider string
	// ID is our message id.
	ID int64
}

func (e *ConfirmLaterError) Error() string {
	return fmt.Sprintf("%s sms: message %d not listed yet; ask again later", e.Provider, e.ID)
}

// Later reports that the question should be asked again later.
func (e *ConfirmLaterError) Later() bool { return true }

// Confirm says whether Aliyun accepted m, a message left in 'sending' by a sender that
// stopped between the request and the answer: it lists, with QuerySendDetails (signed
// as SendSms is), what Aliyun accepted for m's number on the day of the claim (and on
// today, when the day changed since), and looks for m's id in OutId. Listed: accepted,
// with our id as the provider id (the list carries no BizId; reports are matched by
// OutId too). Not listed ConfirmAfter after the claim: not accepted, so the message may
// be sent again. Not listed before that: a *ConfirmLaterError. An error of the API or
// the network: unknown, with the error.
func (a *Aliyun) Confirm(ctx context.Context, m store.OutgoingSMS, claimedAt time.Time) (accepted, known bool, providerID string, err error) {
	want := strconv.FormatInt(m.ID, 10)
	now := a.cfg.Now()
	days := []string{claimedAt.In(aliyunDay).Format("20060102")}
	if d := now.In(aliyunDay).Format("20060102"); d != days[0] {
		days = append(days, d)
	}
	for _, day := range days {
		for page := 1; ; page++ {
			ans, err := a.querySendDetails(ctx, m.Phone, day, page)
			if err != nil {
				return false, false, "", err
			}
			for _, d := range ans.DTOs.List {
				if strings.TrimSpace(d.OutID) == want {
					return true, true, want, nil
				}
			}
			total, _ := ans.TotalCount.Int64()
			if len(ans.DTOs.List) < aliyunPageSize || int64(page*aliyunPageSize) >= total {
				break
			}
		}
	}
	if now.Sub(claimedAt) < a.cfg.ConfirmAfter {
		return false, false, "", &ConfirmLaterError{Provider: "aliyun", ID: m.ID}
	}
	return false, true, "", nil
}

// querySendDetails lists one page of what Aliyun accepted for phone on day (yyyyMMdd).
func (a *Aliyun) querySendDetails(ctx context.Context, phone, day string, page int) (*aliyunDetails, error) {
	params := url.Values{
		"Action":      {"QuerySendDetails"},
		"Version":     {aliyunAPIVersion},
		"RegionId":    {a.cfg.Region},
		"PhoneNumber": {phone},
		"SendDate":    {day},
		"PageSize":    {strconv.Itoa(aliyunPageSize)},
		"CurrentPage": {strconv.Itoa(page)},
	}
	body := aliyunSignedForm(http.MethodPost, params, a.cfg.AccessKeyID, a.cfg.AccessKeySecret, time.Now(), rand.Text())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("aliyun sms: query send details: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("aliyun sms: query send details: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("aliyun sms: query send details: %w", err)
	}
	var ans aliyunDetails
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Code == "" {
		return nil, fmt.Errorf("aliyun sms: query send details: HTTP %d: %.200s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if ans.Code != "OK" || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("aliyun sms: query send details: HTTP %d %s: %s", resp.StatusCode, ans.Code, ans.Message)
	}
	return &ans, nil
}
