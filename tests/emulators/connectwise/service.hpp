// Service boards, service tickets (tickets.cpp) and company management summary reports
// (reports.cpp) of the ConnectWise emulator. Each handler runs with State::data_mutex() held.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "state.hpp"

namespace cw_emu {

// /service/boards[/count|/{id}] (read-only).
void boards(State& st, const httplib::Request& req, httplib::Response& res,
            const std::vector<std::string>& rest);
// /service/tickets[/count|/{id}]: GET, POST, PATCH.
void tickets(State& st, const httplib::Request& req, httplib::Response& res,
             const std::vector<std::string>& rest);
// /company/companies/{company}/managementSummaryReports[/count|/{id}]: GET, POST.
void management_reports(State& st, const httplib::Request& req, httplib::Response& res,
                        const std::string& company, const std::vector<std::string>& rest);

}  // namespace cw_emu
