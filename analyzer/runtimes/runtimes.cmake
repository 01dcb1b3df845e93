# The green-thread runtimes leakscan knows: one line each, naming the runtime's folder (its
# rules.toml and README.md), its RuntimeKind enumerator and the name reports and pprof labels use.
# The build makes the enumerators and compiles in the rules, each applying to its runtime's
# snapshots only. docs/adding-a-runtime.md says how to add one.
leakscan_runtime(go kGo "go")
leakscan_runtime(boost_fiber kBoostFiber "boost.fiber")
leakscan_runtime(cpp_coroutine kCppCoroutine "cpp.coroutine")
