// Transcript lines (<logs transcripts="true"/>): every protocol line of a
// session — client commands, mailtee's replies, commands to the provider and
// its replies — never message bodies and never credentials.
//
//   C> EHLO pc1        the client sent          C< 250-...   mailtee answered the client
//   P> EHLO mailtee    mailtee sent the provider P< 250-...  the provider answered
//
// Credentials are masked here, where the session knows what a line is (a SASL
// response is masked whatever it looks like); LogBook's MaskSecrets runs again
// on every transcript line as a second net.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::smtp {

// One protocol line (or a multi-line reply) for the transcript: trailing CRLF
// removed; "AUTH <mech> <anything>" becomes "AUTH <mech> ****" (any spacing,
// any case); everything else goes through archive::MaskSecrets.
std::string TranscriptText(std::string_view line);

inline constexpr std::string_view kMaskedSecret = "****";

}  // namespace mailtee::smtp
