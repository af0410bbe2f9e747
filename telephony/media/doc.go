// Package media owns the audio side of a call: SDP offers and answers for G.711 (pion/sdp),
// RTP sessions on UDP (pion/rtp packets), PCMU and PCMA coding, RFC 4733 telephone events
// (DTMF), tones, WAV prompts, resampling to 8000 Hz and the stereo WAV recorder (customer
// left, agent right).
//
// It also renders message-call prompts (prompt.go): RenderPrompt speaks a director's text
// in Mandarin offline with espeak-ng (text on stdin, checked by CheckPromptText first),
// resamples it to 8000 Hz and writes the WAV the gateway's message-call path plays.
//
// A Session is one RTP endpoint: it owns one UDP socket and at most one reader goroutine,
// which stops when the Session is closed. It honours the peer's direction (nothing is
// sent to a peer that holds), counts loss as RFC 3550 appendix A.3 does (a packet out of
// order is late, not lost) and paces telephone events at the packet interval.
package media
