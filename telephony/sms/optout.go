package sms

import (
	"strings"
	"unicode"
)

// optOutWords are the replies that unsubscribe a number from marketing SMS: the carriers'
// conventions (TD, T, N, 0000) and the words people type (退订, 取消, 退出, 不要再发...).
var optOutWords = map[string]bool{
	"td": true, "t": true, "n": true, "no": true, "stop": true, "unsubscribe": true, "0000": true,
	"退订": true, "退定": true, "取消": true, "退出": true, "拒收": true, "取消订阅": true, "退订短信": true,
	"不要再发": true, "不要发了": true, "别发了": true, "不再接收": true,
}

// IsOptOut reports whether an incoming reply asks to stop marketing messages. The reply is
// trimmed of spaces and punctuation and compared case-insensitively, so "TD", " td。",
// "退订!" and "回复TD" (people copy the instruction) count; a sentence that merely contains
// "t" does not.
func IsOptOut(text string) bool {
	s := strings.ToLower(strings.TrimFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	}))
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimPrefix(s, "回复")
	s = strings.TrimPrefix(s, "回")
	if optOutWords[s] {
		return true
	}
	return strings.Contains(s, "退订")
}
