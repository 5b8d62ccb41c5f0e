#include "proxy/net/discard.h"

namespace mailtee::net {

void CloseAndDiscard(std::unique_ptr<Stream> stream) {
  if (!stream) return;
  Stream* raw = stream.release();
  Stream::Callbacks cb;
  cb.on_closed = [raw] { delete raw; };  // deleting inside on_closed is allowed
  raw->SetCallbacks(std::move(cb));
  raw->Close();
}

}  // namespace mailtee::net
