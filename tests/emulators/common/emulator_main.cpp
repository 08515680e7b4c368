#include "emulator_main.hpp"

#include <signal.h>

#include <boost/program_options.hpp>

#include <chrono>
#include <iostream>
#include <thread>

namespace emulator_kit {
namespace po = boost::program_options;

int run(int argc, char** argv, const std::string& name, const Setup& setup) {
  po::options_description desc(name + " options");
  desc.add_options()("help,h", "show this help")(
      "listen", po::value<std::string>()->default_value("127.0.0.1:0"),
      "HOST:PORT to listen on (port 0 picks a free port)")(
      "seed", po::value<std::string>()->required(), "seed JSON file (see README.md)")(
      "tls-cert", po::value<std::string>(), "PEM certificate: serve HTTPS")(
      "tls-key", po::value<std::string>(), "PEM private key for --tls-cert");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("tls-cert") != vm.count("tls-key")) {
    std::cerr << name << ": --tls-cert and --tls-key go together\n";
    return 2;
  }

  const std::string listen = vm["listen"].as<std::string>();
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << name << ": --listen must be HOST:PORT\n";
    return 2;
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    std::cerr << name << ": bad port in --listen\n";
    return 2;
  }

  // Every thread inherits this mask; the main thread waits for the signals with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const bool tls = vm.count("tls-cert") > 0;
  std::unique_ptr<httplib::Server> server;
  if (tls)
    server = std::make_unique<httplib::SSLServer>(vm["tls-cert"].as<std::string>().c_str(),
                                                  vm["tls-key"].as<std::string>().c_str());
  else
    server = std::make_unique<httplib::Server>();
  if (!server->is_valid()) {
    std::cerr << name << ": cannot load the TLS certificate or key\n";
    return 2;
  }
  if (port == 0) {
    port = server->bind_to_any_port(host);
  } else if (!server->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    std::cerr << name << ": cannot listen on " << listen << "\n";
    return 2;
  }
  const std::string url_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string base =
      std::string(tls ? "https" : "http") + "://" + url_host + ":" + std::to_string(port);

  std::shared_ptr<void> state;
  try {
    state = setup(*server, vm["seed"].as<std::string>(), base);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 2;
  }
  std::thread worker([&] { server->listen_after_bind(); });
  while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::cout << base << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  server->stop();
  worker.join();
  return 0;
}

}  // namespace emulator_kit
