// Package media owns the audio side of a call: SDP offers and answers for G.711, RTP
// sessions on UDP (pion/rtp packets), PCMU and PCMA coding, RFC 4733 telephone events
// (DTMF), tones, WAV prompts and the stereo WAV recorder (customer left, agent right).
//
// A Session is one RTP endpoint: it owns one UDP socket and at most one reader goroutine,
// which stops when the Session is closed.
package media
