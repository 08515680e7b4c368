// A meterbridge-runner from another meterbridge release: it speaks the handshake (which every
// release keeps) but reports version 0.0.1, so the host must refuse it and name both versions.
#include "isolation/runner_protocol.hpp"

int main() {
  using namespace meterbridge::host::runner;
  try {
    read_frame(kCallsFd);
    write_frame(kAnswersFd, {{"t", "hello"}, {"protocol", kProtocolVersion}, {"version", "0.0.1"}});
    read_frame(kCallsFd);  // waits until the host closes the pipe
  } catch (const std::exception&) {
  }
  return 0;
}
