// The relay target of the approval service from the config: the <upstream>
// of the relay listener (approval_config.h RelayListener). The account is
// chosen per message (ApprovalConfig::RelayAccountFor).
#pragma once

#include "config/config.h"
#include "config/status.h"
#include "proxy/approval/smtp_relayer.h"

namespace mailtee::approval {

// tls_context: a client context for the upstream (certs::MakeClientContext
// with the upstream's verify / ca-file); may be null when tls="none".
Status MakeRelayTarget(const config::Listener& listener, SSL_CTX* tls_context, const std::string& helo_name,
                       RelayTarget* out);

}  // namespace mailtee::approval
