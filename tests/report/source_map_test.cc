// SourceMap: frame files as the build machine printed them, placed in the repository.
#include "analyzer/report/source_map.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/test_support.h"

namespace leakscan {
namespace {

namespace fs = std::filesystem;

// A checkout whose go.mod says `module_line`.
std::string checkout(const std::string& module_line) {
  std::string root = testing::temp_dir();
  testing::write_file(root + "/go.mod", "// the service\n" + module_line + "\n\ngo 1.22\n");
  return root;
}

SourceMap load(const std::string& root, std::vector<PathPrefix> prefixes = {}) {
  auto map = SourceMap::load(fs::path(root), std::move(prefixes));
  EXPECT_TRUE(map.has_value()) << map.error().message;
  return map ? std::move(*map) : SourceMap();
}

TEST(SourceMap, ModulePathsBecomeRepositoryPaths) {
  SourceMap map = load(checkout("module github.com/acme/svc"));
  EXPECT_EQ(map.relative("github.com/acme/svc/internal/x.go"), "internal/x.go");
  EXPECT_EQ(map.relative("github.com/acme/svc/main.go"), "main.go");
  // GOPATH builds print the module under .../src/.
  EXPECT_EQ(map.relative("/home/jenkins/go/src/github.com/acme/svc/internal/x.go"),
            "internal/x.go");
  // Another module that starts with the same letters, a dependency in the module cache, the
  // standard library: not the repository's files.
  EXPECT_EQ(map.relative("github.com/acme/svc2/x.go"), std::nullopt);
  EXPECT_EQ(map.relative("/go/pkg/mod/github.com/acme/svc@v1.2.0/x.go"), std::nullopt);
  EXPECT_EQ(map.relative("runtime/sema.go"), std::nullopt);
  EXPECT_EQ(map.relative(""), std::nullopt);
}

TEST(SourceMap, QuotedModuleAndCommentsAreRead) {
  SourceMap map = load(checkout("module \"example.com/quoted\" // renamed in 2024"));
  EXPECT_EQ(map.relative("example.com/quoted/a/b.go"), "a/b.go");
}

TEST(SourceMap, FilesUnderTheRootAreRelativeToIt) {
  std::string root = testing::temp_dir();  // no go.mod: C++ services, or the root is not Go's
  SourceMap map = load(root + "/");
  EXPECT_EQ(map.relative(root + "/src/order_service.cc"), "src/order_service.cc");
  EXPECT_EQ(map.relative(root + "/src/../include/a.h"), "include/a.h");
  EXPECT_EQ(map.relative(root + "-other/a.cc"), std::nullopt);
  EXPECT_EQ(map.root_uri(), "file://" + root + "/");
}

TEST(SourceMap, PrefixesComeFirstInOrder) {
  SourceMap map =
      load(checkout("module github.com/acme/svc"), {{"/home/jenkins/workspace/svc/", ""},
                                                    {"github.com/acme/svc/vendor", "third_party"},
                                                    {"/home/jenkins", "ci"}});
  EXPECT_EQ(map.relative("/home/jenkins/workspace/svc/cmd/main.go"), "cmd/main.go");
  EXPECT_EQ(map.relative("github.com/acme/svc/vendor/x/y.go"), "third_party/x/y.go");
  EXPECT_EQ(map.relative("/home/jenkins/other/z.go"), "ci/other/z.go");
  // Whole path elements only.
  EXPECT_EQ(map.relative("/home/jenkinsfoo/z.go"), std::nullopt);
}

TEST(SourceMap, PrefixesWithoutARootAndThoseThatClimbOut) {
  auto map = SourceMap::load(std::nullopt, {{"/build/src", "./"}, {"/tmp", "../elsewhere"}});
  ASSERT_TRUE(map.has_value()) << map.error().message;
  EXPECT_FALSE(map->places_nothing());
  EXPECT_EQ(map->root_uri(), "");
  EXPECT_EQ(map->relative("/build/src/a/b.go"), "a/b.go");
  EXPECT_EQ(map->relative("/tmp/a.go"), std::nullopt);
  EXPECT_TRUE(SourceMap().places_nothing());
  EXPECT_EQ(SourceMap().relative("/build/src/a/b.go"), std::nullopt);
}

// A repository's root holds modules deeper down (samples/go, services/x): each go.mod under it
// names the files of its directory, a nested module wins over the one around it, and a go.mod
// the go command would never read (testdata, .hidden, _skipped) names nothing.
TEST(SourceMap, EveryGoModUnderTheRootNamesItsDirectory) {
  std::string root = testing::temp_dir();  // no go.mod of its own
  auto write_go_mod = [&](const std::string& directory, const std::string& text) {
    fs::create_directories(root + "/" + directory);
    testing::write_file(root + "/" + directory + "/go.mod", text);
  };
  write_go_mod("services/a", "module example.com/a\n");
  write_go_mod("services/a/b", "module example.com/a/b\n");
  write_go_mod("services/a/testdata", "module example.com/fixture\n");
  write_go_mod(".hidden", "module example.com/hidden\n");
  write_go_mod("_skipped", "module example.com/skipped\n");
  write_go_mod("broken", "not a go.mod\n");  // some test's fixture
  SourceMap map = load(root);
  EXPECT_EQ(map.relative("example.com/a/main.go"), "services/a/main.go");
  EXPECT_EQ(map.relative("example.com/a/b/inner/y.go"), "services/a/b/inner/y.go");
  EXPECT_EQ(map.relative("/home/ci/go/src/example.com/a/b/z.go"), "services/a/b/z.go");
  EXPECT_EQ(map.relative("example.com/fixture/x.go"), std::nullopt);
  EXPECT_EQ(map.relative("example.com/hidden/x.go"), std::nullopt);
  EXPECT_EQ(map.relative("example.com/skipped/x.go"), std::nullopt);
  EXPECT_EQ(map.relative("example.com/ab/x.go"), std::nullopt);
}

// This repository, from its root: the samples' frames land in samples/go.
TEST(SourceMap, ThisRepositorysRootPlacesTheSamples) {
  SourceMap map = load(LEAKSCAN_SOURCE_ROOT);
  EXPECT_EQ(map.relative("leakscan.dev/samples/leakyservice/main.go"),
            "samples/go/leakyservice/main.go");
}

TEST(SourceMap, BadInputIsOneLineNamingIt) {
  auto no_equals = parse_path_prefix("/home/jenkins");
  ASSERT_FALSE(no_equals.has_value());
  EXPECT_EQ(no_equals.error().message,
            "path prefix '/home/jenkins': expected FROM=TO (e.g. /home/ci/src/svc=)");
  EXPECT_FALSE(parse_path_prefix("=x").has_value());
  auto parsed = parse_path_prefix("/a=b=c");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->from, "/a");
  EXPECT_EQ(parsed->to, "b=c");

  auto missing = SourceMap::load(fs::path("/nonexistent/checkout"), {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message,
            "/nonexistent/checkout: not a directory, expected the repository's root");

  std::string root = testing::temp_dir();
  testing::write_file(root + "/go.mod", "go 1.22\n");
  auto no_module = SourceMap::load(fs::path(root), {});
  ASSERT_FALSE(no_module.has_value());
  EXPECT_EQ(no_module.error().message, root + "/go.mod: no `module` line, expected `module PATH`");

  testing::write_file(root + "/go.mod", "\nmodule a b\n");
  auto two_words = SourceMap::load(fs::path(root), {});
  ASSERT_FALSE(two_words.has_value());
  EXPECT_EQ(two_words.error().message, root + "/go.mod: line 2: expected `module PATH`");

  auto text = load_source_map(std::nullopt, std::vector<std::string>{"/ok=", "broken"});
  ASSERT_FALSE(text.has_value());
  EXPECT_NE(text.error().message.find("'broken'"), std::string::npos);
}

TEST(SourceMap, PathUris) {
  EXPECT_EQ(path_uri("internal/x.go"), "internal/x.go");
  EXPECT_EQ(path_uri("/home/ci/my svc/x#1.go"), "file:///home/ci/my%20svc/x%231.go");
  EXPECT_EQ(path_uri("dir/\xc3\xa9t\xc3\xa9.go"), "dir/%C3%A9t%C3%A9.go");
  EXPECT_EQ(path_uri("a/100%.go"), "a/100%25.go");
}

}  // namespace
}  // namespace leakscan
