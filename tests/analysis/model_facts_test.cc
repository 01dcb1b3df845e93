// What every layer asks of the model: which code is the program's own, and durations.
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

TEST(IsUserFunction, ProgramCodeAgainstRuntimeAndStandardLibrary) {
  EXPECT_TRUE(is_user_function("main.f"));
  EXPECT_TRUE(is_user_function("main.(*OrderService).fetchOrder.func1"));
  EXPECT_TRUE(is_user_function("github.com/x/y.F"));
  EXPECT_TRUE(is_user_function("github.com/x/y.(*T).Run[...]"));
  EXPECT_TRUE(is_user_function("gopkg.in/yaml.v3.Unmarshal"));
  EXPECT_TRUE(is_user_function("myapp/internal/store.(*DB).Get"));  // a module without a dot
  // golang.org/x is code the program chose; the standard library's own vendored copy of it
  // (vendor/golang.org/x/net/..., under net/http) is not.
  EXPECT_TRUE(is_user_function("golang.org/x/net/http2.(*serverConn).serve"));
  EXPECT_FALSE(is_user_function("vendor/golang.org/x/net/http2/hpack.(*Decoder).Write"));

  EXPECT_FALSE(is_user_function("net/http.(*conn).serve"));
  EXPECT_FALSE(is_user_function("net/http.HandlerFunc.ServeHTTP"));
  EXPECT_FALSE(is_user_function("runtime.gopark"));
  EXPECT_FALSE(is_user_function("runtime/pprof.Do"));
  EXPECT_FALSE(is_user_function("sync.(*WaitGroup).Wait"));
  EXPECT_FALSE(is_user_function("internal/poll.runtime_pollWait"));
  EXPECT_FALSE(is_user_function("go/parser.ParseFile"));
  EXPECT_FALSE(is_user_function(""));
  EXPECT_FALSE(is_user_function("0x4a5b6c"));
  EXPECT_FALSE(is_user_function("_cgo_topofstack"));
  EXPECT_FALSE(is_user_function("go.buildid"));
  EXPECT_FALSE(is_user_function("type..eq.main.T"));
  // Go 1.2 to 1.4 wrote much of the runtime in C: its functions have no package.
  for (const char* c_function :
       {"timerproc", "runfinq", "bgsweep", "netpollblock", "selectgo", "chanrecv", "scanblock"}) {
    EXPECT_FALSE(is_user_function(c_function)) << c_function;
  }
}

TEST(IsUserFunction, ModulesUnderGoDotDomainsAreUserCode) {
  // go.uber.org, go.etcd.io, go.opentelemetry.io: module paths whose first label happens to be
  // "go", a standard-library root. They are third-party code the program chose.
  EXPECT_TRUE(is_user_function("go.uber.org/zap.(*Logger).Info"));
  EXPECT_TRUE(is_user_function("go.etcd.io/etcd/raft/v3.(*node).run"));
  EXPECT_TRUE(
      is_user_function("go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue"));
  EXPECT_TRUE(is_user_function("net.example.com/lib.F"));
}

TEST(IsUserFunction, CppFrames) {
  EXPECT_TRUE(is_user_function("myapp::Server::run()"));
  EXPECT_TRUE(is_user_function("orders::Service::handle(Request const&)"));
  EXPECT_FALSE(is_user_function("std::thread::_State_impl<>::_M_run()"));
  EXPECT_FALSE(is_user_function("boost::fibers::context::suspend()"));
  EXPECT_FALSE(is_user_function("__gnu_cxx::__exchange_and_add(int volatile*, int)"));
  EXPECT_FALSE(is_user_function("leakscan::agent::Sampler::tick()"));
}

TEST(ParseDuration, GoUnits) {
  EXPECT_EQ(parse_duration("90s"), std::chrono::nanoseconds(90s));
  EXPECT_EQ(parse_duration("1h30m"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::nanoseconds(250ms));
  EXPECT_EQ(parse_duration("1.5h"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parse_duration("24h"), std::chrono::nanoseconds(24h));
  EXPECT_EQ(parse_duration("10us"), std::chrono::nanoseconds(10us));
  EXPECT_EQ(parse_duration("10\xc2\xb5s"), std::chrono::nanoseconds(10us));
  EXPECT_EQ(parse_duration("0"), std::chrono::nanoseconds(0));
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (std::string_view bad : {"", "5", "s", "abc", "5x", "1h 30m", "1h30", "ms5", " 5s", "5s "}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ParseDuration, RejectsValuesNoNanosecondCountHolds) {
  // Infinity, NaN and durations past int64 nanoseconds (about 292 years) have no value to
  // return; converting them would be undefined behaviour.
  for (std::string_view bad : {"infs", "nanh", "inf", "1e300h", "9999999999999h"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace leakscan
