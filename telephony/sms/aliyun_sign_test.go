package sms

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAliyunSignatureDocumentedExamples signs the two examples of Aliyun's documentation
// of the RPC signature (version 1.0) and gets the signatures printed there.
func TestAliyunSignatureDocumentedExamples(t *testing.T) {
	// The signature mechanism's example: ECS DescribeRegions, key testid / testsecret.
	ecs := url.Values{"Timestamp": {"2016-02-23T12:46:24Z"}, "Format": {"XML"}, "AccessKeyId": {"testid"},
		"Action": {"DescribeRegions"}, "SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		"Version": {"2014-05-26"}, "SignatureVersion": {"1.0"}}
	require.Equal(t, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", aliyunSignature("GET", ecs, "testsecret"))

	// The SMS service's example: SendSms with a Chinese signature and JSON parameters,
	// key testId / testSecret.
	send := url.Values{"AccessKeyId": {"testId"}, "Action": {"SendSms"}, "Format": {"XML"}, "OutId": {"123"},
		"PhoneNumbers": {"15300000001"}, "RegionId": {"cn-hangzhou"}, "SignName": {"阿里云短信测试专用"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"45e25e9b-0a6f-4070-8c85-2956eda1b466"}, "SignatureVersion": {"1.0"},
		"TemplateCode": {"SMS_71390007"}, "TemplateParam": {`{"customer":"test"}`}, "Timestamp": {"2017-07-12T02:42:19Z"},
		"Version": {"2017-05-25"}}
	require.Equal(t, "zJDF+Lrzhj/ThnlvIToysFRq6t4=", aliyunSignature("GET", send, "testSecret"))

	// The form we send carries the common parameters and verifies with the same rule.
	at := time.Date(2026, 11, 20, 8, 30, 0, 0, time.FixedZone("CST", 8*3600))
	form, err := url.ParseQuery(aliyunSignedForm("POST", url.Values{"Action": {"SendSms"}, "SignName": {"测试 店~*"}}, "AK", "SK", at, "nonce-1"))
	require.NoError(t, err)
	require.Equal(t, "2026-11-20T00:30:00Z", form.Get("Timestamp"), "UTC")
	require.Equal(t, "HMAC-SHA1", form.Get("SignatureMethod"))
	require.Equal(t, "nonce-1", form.Get("SignatureNonce"))
	require.Equal(t, aliyunSignature("POST", form, "SK"), form.Get("Signature"))
	require.NotEqual(t, aliyunSignature("POST", form, "other"), form.Get("Signature"))
}
