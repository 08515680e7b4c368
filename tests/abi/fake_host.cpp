#include "fake_host.hpp"

FakeHostTable::FakeHostTable() {
  table.struct_size = sizeof(mb_host_api);
  table.abi_major = MB_ABI_MAJOR;
  table.abi_minor = MB_ABI_MINOR;
  table.host = this;
  table.log = [](void* host, int32_t, mb_str m) {
    static_cast<FakeHostTable*>(host)->lines.emplace_back(m.ptr, m.len);
  };
  table.state_get = [](void*, mb_str, mb_buffer*) -> mb_status { return MB_E_NOT_FOUND; };
  table.state_put = [](void*, mb_str, mb_str) -> mb_status { return MB_OK; };
}
