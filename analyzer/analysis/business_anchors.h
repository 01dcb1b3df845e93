#pragma once

#include <optional>
#include <vector>

#include "analyzer/analysis/cluster.h"
#include "analyzer/analysis/codeowners.h"
#include "analyzer/analysis/rules.h"

namespace leakscan {

// Layer 4. Names what each cluster belongs to: the values of anchor labels (http.route,
// grpc.method...), the handler under a server's entry frame (net/http.(*conn).serve; grpc-go's
// server, by the RPC's full method name), the creation site, and with a CODEOWNERS file the owners of the code. The
// first anchor found also picks the kind of wait threshold layer 5 applies.
class BusinessAnchors {
 public:
  BusinessAnchors(const Rules& rules, const CodeOwners* owners) : rules_(rules), owners_(owners) {}
  void run(const AnalysisInput& input, std::vector<Cluster>& clusters) const;

 private:
  const Rules& rules_;
  const CodeOwners* owners_;
};

}  // namespace leakscan
