// What Agent::start answers: the running agent, or one line saying why it did not start. Its
// own type, so that the agent's installed headers need nothing of leakscan's engine.
#pragma once

#include <memory>
#include <string>
#include <utility>

namespace leakscan::agent {

class Agent;

struct StartError {
  std::string message;  // "leakscan agent: cannot listen on 127.0.0.1:6060: ..."
};

class StartResult {
 public:
  StartResult(std::unique_ptr<Agent> agent) : agent_(std::move(agent)) {}  // NOLINT: implicit
  StartResult(StartError error) : error_(std::move(error)) {}              // NOLINT: implicit

  explicit operator bool() const { return agent_ != nullptr; }
  bool has_value() const { return agent_ != nullptr; }

  std::unique_ptr<Agent>& operator*() { return agent_; }
  std::unique_ptr<Agent>* operator->() { return &agent_; }
  const StartError& error() const { return error_; }

 private:
  std::unique_ptr<Agent> agent_;
  StartError error_;
};

}  // namespace leakscan::agent
