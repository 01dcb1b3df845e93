// What the layers read: rules and config files, baselines, CODEOWNERS.
#include <algorithm>

#include "analyzer/analysis/baseline.h"
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

TEST(CodeOwnersPattern, GlobsAgainstModuleAndAbsolutePaths) {
  EXPECT_TRUE(codeowners_pattern_matches("*.go", "leakyservice/main.go"));
  EXPECT_TRUE(codeowners_pattern_matches("*.go", "/home/ci/src/app/main.go"));
  EXPECT_FALSE(codeowners_pattern_matches("*.go", "app/main.gox"));
  EXPECT_TRUE(codeowners_pattern_matches("main.go", "app/main.go"));
  EXPECT_FALSE(codeowners_pattern_matches("main.go", "app/xmain.go"));
  // A trailing slash: that directory and everything below it, wherever it is.
  EXPECT_TRUE(codeowners_pattern_matches("/orders/", "leakscan.dev/orders/api/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("orders/", "orders/handler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/", "myorders/handler.go"));
  // Without it, a name matches a file or a directory of that name.
  EXPECT_TRUE(codeowners_pattern_matches("docs", "app/docs/intro.md"));
  // '*' stays within one path element.
  EXPECT_TRUE(codeowners_pattern_matches("orders/*.go", "orders/handler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/*.go", "orders/api/handler.go"));
  // '**' spans elements, including none.
  EXPECT_TRUE(codeowners_pattern_matches("orders/**/handler.go", "orders/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("orders/**/handler.go", "orders/a/b/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("**/handler.go", "x/y/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("orders/**", "orders/a/b/c.go"));
  EXPECT_TRUE(codeowners_pattern_matches("?ain.go", "app/main.go"));
  EXPECT_FALSE(codeowners_pattern_matches("a?b.go", "a/b.go"));
}

TEST(CodeOwnersPattern, DoubleStarSlashMatchesWholeElementsOnly) {
  // "**/" stands for whole directories: what follows it starts a path element.
  EXPECT_FALSE(codeowners_pattern_matches("**/handler.go", "orders/myhandler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/**/handler.go", "orders/xhandler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/**/handler.go", "orders/a/xhandler.go"));
}

TEST(CodeOwnersPattern, StarAfterDirectoryMatchesOnlyItsDirectChildren) {
  // GitHub's documentation: "docs/*" matches docs/getting-started.md but not
  // docs/build-app/troubleshooting.md.
  EXPECT_TRUE(codeowners_pattern_matches("docs/*", "docs/getting-started.md"));
  EXPECT_FALSE(codeowners_pattern_matches("docs/*", "docs/build-app/troubleshooting.md"));
}

TEST(CodeOwners, LastMatchingLineWins) {
  CodeOwners owners = CodeOwners::parse(
      "# owners of the order service\n"
      "*            @everyone\n"
      "\n"
      "/orders/     @team-orders   # the service\n"
      "orders/*_test.go @team-qa\n"
      "/orders/fetch.go @alice @bob\n");
  EXPECT_EQ(owners.owners_of("/src/app/orders/fetch.go"),
            (std::vector<std::string>{"@alice", "@bob"}));
  EXPECT_EQ(owners.owners_of("leakscan.dev/orders/audit.go"),
            (std::vector<std::string>{"@team-orders"}));
  EXPECT_EQ(owners.owners_of("orders/audit_test.go"), (std::vector<std::string>{"@team-qa"}));
  EXPECT_EQ(owners.owners_of("cmd/main.go"), (std::vector<std::string>{"@everyone"}));
  EXPECT_TRUE(CodeOwners::parse("/orders/ @o\n").owners_of("cmd/main.go").empty());
}

TEST(Rules, DefaultRulesFileParses) {
  // default_rules() falls back to empty rules if an embedded file is broken; check the one every
  // runtime shares (runtime_registry_test checks each runtime's).
  auto rules = parse_rules(testing::read_file(LEAKSCAN_DEFAULT_RULES_TOML), "default_rules.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  EXPECT_FALSE(rules->version.empty());
  EXPECT_EQ(rules->version, default_rules().version);
  EXPECT_FALSE(rules->system.empty());
  EXPECT_FALSE(rules->anchor_labels.empty());
  EXPECT_EQ(rules->anchor_labels, default_rules().anchor_labels);
  EXPECT_FALSE(default_rules().blocking.empty());
  EXPECT_FALSE(default_rules().entries.empty());
  EXPECT_EQ(rules->threshold_for(AnchorKind::kHttpHandler), std::chrono::nanoseconds(30s));
  EXPECT_EQ(rules->threshold_for(AnchorKind::kCreatedBy),
            rules->threshold_for(AnchorKind::kDefault));
}

TEST(Rules, ErrorsNameFileLineAndColumn) {
  auto syntax = parse_rules("rules_version = \"1\"\n[[blocking]\n", "leakscan.toml");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_TRUE(syntax.error().message.starts_with("leakscan.toml:2:")) << syntax.error().message;

  auto incomplete = parse_rules("\n[[blocking]]\nfunctions = [\"main.wait\"]\n", "leakscan.toml");
  ASSERT_FALSE(incomplete.has_value());
  EXPECT_TRUE(incomplete.error().message.starts_with("leakscan.toml:2:"))
      << incomplete.error().message;
  EXPECT_NE(incomplete.error().message.find("needs functions and operation"), std::string::npos);

  auto threshold = parse_rules("[thresholds]\ndefault = \"soon\"\n", "leakscan.toml");
  ASSERT_FALSE(threshold.has_value());
  EXPECT_TRUE(threshold.error().message.starts_with("leakscan.toml:2:11: threshold default"))
      << threshold.error().message;

  auto not_a_string = parse_rules("[thresholds]\n\ndefault = 30\n", "leakscan.toml");
  ASSERT_FALSE(not_a_string.has_value());
  EXPECT_TRUE(not_a_string.error().message.starts_with("leakscan.toml:3:"));

  auto vague = parse_rules("[[system]]\nwhy = \"everything\"\n", "leakscan.toml");
  ASSERT_FALSE(vague.has_value());
  EXPECT_TRUE(vague.error().message.starts_with("leakscan.toml:1:")) << vague.error().message;
  EXPECT_NE(vague.error().message.find("must match on something"), std::string::npos);

  auto no_why = parse_rules("[[system]]\nany_function = \"main.*\"\n", "leakscan.toml");
  ASSERT_FALSE(no_why.has_value());
  EXPECT_NE(no_why.error().message.find("needs why"), std::string::npos);

  auto entry = parse_rules("[anchors]\n[[anchors.entry]]\nkind = \"job\"\n", "leakscan.toml");
  ASSERT_FALSE(entry.has_value());
  EXPECT_NE(entry.error().message.find("needs under and kind"), std::string::npos);
}

TEST(Rules, LoadConfigAppendsRulesAndOverridesThresholds) {
  std::string path = testing::temp_dir() + "/leakscan.toml";
  testing::write_file(path,
                      "[[blocking]]\n"
                      "functions = [\"github.com/acme/queue.(*Q).Pop\"]\n"
                      "operation = \"queue pop\"\n"
                      "[[system]]\n"
                      "any_function = \"github.com/acme/metrics.*\"\n"
                      "why = \"metrics flusher\"\n"
                      "[anchors]\n"
                      "labels = [\"tenant\"]\n"
                      "[thresholds]\n"
                      "default = \"1s\"\n"
                      "job = \"2h\"\n"
                      "[verdict]\n"
                      "pile_up = 50\n");
  const Rules& base = default_rules();
  auto rules = load_config(base, path);
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  ASSERT_EQ(rules->blocking.size(), base.blocking.size() + 1);
  EXPECT_EQ(rules->blocking.back().operation, "queue pop");
  ASSERT_EQ(rules->system.size(), base.system.size() + 1);
  EXPECT_EQ(rules->system.back().why, "metrics flusher");
  EXPECT_EQ(rules->anchor_labels.back(), "tenant");
  EXPECT_EQ(rules->anchor_labels.size(), base.anchor_labels.size() + 1);
  EXPECT_EQ(rules->threshold_for(AnchorKind::kDefault), std::chrono::nanoseconds(1s));
  EXPECT_EQ(rules->threshold_for(AnchorKind::kJob), std::chrono::nanoseconds(2h));
  EXPECT_EQ(rules->threshold_for(AnchorKind::kHttpHandler),
            base.threshold_for(AnchorKind::kHttpHandler));
  EXPECT_EQ(rules->pile_up, 50);
  EXPECT_EQ(rules->growth_two_snapshots, base.growth_two_snapshots);
  EXPECT_EQ(rules->version, base.version);  // the config names no version of its own
}

TEST(Rules, LoadConfigErrors) {
  auto missing = load_config(default_rules(), "/nonexistent/leakscan.toml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "/nonexistent/leakscan.toml: cannot open config file");

  std::string path = testing::temp_dir() + "/broken.toml";
  testing::write_file(path, "[thresholds]\ndefault = \"1s\"\nhttp_handler = \"fast\"\n");
  auto broken = load_config(default_rules(), path);
  ASSERT_FALSE(broken.has_value());
  EXPECT_TRUE(broken.error().message.starts_with(path + ":3:")) << broken.error().message;

  // Thresholds and entries name anchor kinds the analysis knows; a typo is an error, not a
  // threshold that silently never applies.
  testing::write_file(path, "[thresholds]\nhttp_handlr = \"1s\"\n");
  auto typo = load_config(default_rules(), path);
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().message.find("threshold http_handlr: expected one of default"),
            std::string::npos)
      << typo.error().message;
  testing::write_file(path, "[[anchors.entry]]\nunder = \"x.Serve\"\nkind = \"owner\"\n");
  auto entry = load_config(default_rules(), path);
  ASSERT_FALSE(entry.has_value());
  EXPECT_NE(entry.error().message.find("kind \"owner\""), std::string::npos)
      << entry.error().message;
}

TEST(Baseline, ParseErrorsNameFileAndLine) {
  auto load = [](const std::string& text) {
    std::string path = testing::temp_dir() + "/known-leaks.toml";
    testing::write_file(path, text);
    return std::pair{path, load_baseline(path)};
  };
  {
    auto [path, result] = load("# accepted\n[[accepted]]\nblocked_at = \"main.f\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message, path + ":2: an accepted leak needs a reason");
  }
  {
    auto [path, result] = load("[[accepted]]\nreason = \"why not\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message,
              path + ":1: an accepted leak needs cluster, blocked_at or created_by");
  }
  {
    auto [path, result] = load(
        "[[accepted]]\nblocked_at = \"main.f\"\nreason = \"r\"\nexpires = 2027-01-31\n\n"
        "[[accepted]]\ncreated_by = \"main.g\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message, path + ":6: expires must be a date like 2027-01-31");
  }
  {
    auto [path, result] = load("[[accepted]]\nblocked_at = main.f\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(result.error().message.starts_with(path + ":2:")) << result.error().message;
  }
  {
    auto [path, result] = load("accepted = [1, 2]\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("expected an [[accepted]] table"), std::string::npos);
  }
  auto missing = load_baseline("/nonexistent/known-leaks.toml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "/nonexistent/known-leaks.toml: cannot open baseline file");
}

TEST(Baseline, ExpiredEntriesWarnAndMatchNothing) {
  std::string path = testing::temp_dir() + "/known-leaks.toml";
  testing::write_file(path,
                      "[[accepted]]\n"
                      "blocked_at = \"main.(*Cache).refresh*\"\n"
                      "reason = \"refresh loop, fixed in v2.3\"\n"
                      "expires = 2030-01-31\n"
                      "\n"
                      "[[accepted]]\n"
                      "created_by = \"main.startPoller\"\n"
                      "reason = \"poller, JIRA-9\"\n"
                      "expires = 2024-06-01\n"
                      "\n"
                      "[[accepted]]\n"
                      "cluster = \"00000000000000aa\"\n"
                      "reason = \"by id, no expiry\"\n");
  auto entries = load_baseline(path);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].where, path + ":1");
  EXPECT_TRUE((*entries)[0].has_expiry);
  EXPECT_FALSE((*entries)[2].has_expiry);

  std::vector<Cluster> clusters(4);
  const Frame refresh_loop{.function = "main.(*Cache).refreshLoop"};
  const Frame poll{.function = "main.poll"};
  const Frame start_poller{.function = "main.startPoller"};
  const Frame other{.function = "main.other"};
  const Frame get{.function = "main.(*Cache).get"};
  clusters[0].set_sites(&refresh_loop, nullptr);
  clusters[1].set_sites(&poll, &start_poller);
  clusters[2].id = 0xaa;
  clusters[2].set_sites(&other, nullptr);
  clusters[3].set_sites(&get, nullptr);
  auto today = std::chrono::sys_days(std::chrono::year_month_day(
      std::chrono::year(2025), std::chrono::month(3), std::chrono::day(1)));
  auto warnings = apply_baseline(*entries, today, clusters);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(warnings[0].starts_with(path + ":6: accepted leak expired on 2024-06-01"))
      << warnings[0];
  EXPECT_EQ(clusters[0].baseline_reason(), "refresh loop, fixed in v2.3");
  EXPECT_EQ(clusters[1].baseline_reason(), "");  // expired: counts again
  EXPECT_EQ(clusters[2].baseline_reason(), "by id, no expiry");
  EXPECT_EQ(clusters[3].baseline_reason(), "");
}

TEST(CodeOwners, ManyStarsDoNotBacktrackExponentially) {
  // Found by fuzz_config: a backtracking matcher took minutes on this; the table takes
  // microseconds.
  std::string path(200, 'a');
  EXPECT_FALSE(codeowners_pattern_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", path));
  EXPECT_TRUE(codeowners_pattern_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", path));
  EXPECT_TRUE(codeowners_pattern_matches("**/**/**/**/**/**/x.go", "a/b/c/d/e/f/g/x.go"));
  EXPECT_FALSE(codeowners_pattern_matches("**/**/**/**/**/**/x.go", "a/b/c/d/e/f/g/yx.go"));
}

TEST(Rules, LayerFiveVocabularyIsData) {
  const Rules& base = default_rules();
  // Every runtime's sleep; Boost.Fiber's timed waits from its folder.
  EXPECT_NE(std::find(base.timed_operations.begin(), base.timed_operations.end(), "sleep"),
            base.timed_operations.end());
  EXPECT_NE(
      std::find(base.timed_operations.begin(), base.timed_operations.end(), "chan receive (timed)"),
      base.timed_operations.end());
  EXPECT_EQ(base.network_operations, std::vector<std::string>{"IO wait"});
  ASSERT_FALSE(base.label_kinds.empty());
  EXPECT_EQ(base.label_kinds.front().prefix, "http.");
  EXPECT_EQ(base.label_kinds.front().kind, AnchorKind::kHttpHandler);

  auto rules = parse_rules(
      "[verdict]\nnetwork_operations = [\"IO wait\", \"select\"]\n"
      "[[anchors.label_kind]]\nprefix = \"tenant=\"\nkind = \"job\"\n",
      "leakscan.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  EXPECT_EQ(rules->network_operations.back(), "select");
  EXPECT_EQ(rules->label_kinds.back().kind, AnchorKind::kJob);

  auto bad =
      parse_rules("[[anchors.label_kind]]\nprefix = \"x=\"\nkind = \"owner\"\n", "leakscan.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(bad.error().message.starts_with("leakscan.toml:1:")) << bad.error().message;
}

TEST(Rules, CppPatternsMatchEveryTemplateInstantiation) {
  EXPECT_TRUE(function_matches("boost::fibers::unbuffered_channel::push",
                               "boost::fibers::unbuffered_channel<int>::push"));
  EXPECT_TRUE(function_matches("boost::fibers::buffered_channel::pop",
                               "boost::fibers::buffered_channel<std::pair<int, std::vector<int, "
                               "std::allocator<int> > > >::pop"));
  EXPECT_FALSE(function_matches("boost::fibers::buffered_channel::push",
                                "boost::fibers::buffered_channel<int>::push_wait_for"));
  EXPECT_FALSE(function_matches("boost::fibers::buffered_channel::push",
                                "boost::fibers::unbuffered_channel<int>::push"));
  // A pattern that names its arguments matches only that instantiation.
  EXPECT_TRUE(function_matches("ns::f<int>", "ns::f<int>"));
  EXPECT_FALSE(function_matches("ns::f<int>", "ns::f<long>"));
  EXPECT_TRUE(function_matches("boost::fibers::*", "boost::fibers::future<int>::get"));
  // Go names are compared as they are, generics included.
  EXPECT_TRUE(function_matches("sync.(*Mutex).Lock", "sync.(*Mutex).Lock"));
  EXPECT_FALSE(function_matches("main.f", "main.f[...]"));

  EXPECT_EQ(without_template_arguments("ns::chan<std::pair<int, int>>::push"), "ns::chan::push");
  EXPECT_EQ(without_template_arguments("ns::key<int>::operator<"), "ns::key::operator<");
  EXPECT_EQ(without_template_arguments("ns::ptr<int>::operator->"), "ns::ptr::operator->");
  EXPECT_EQ(without_template_arguments("ns::f<int>::operator<=><long>"), "ns::f::operator<=>");
  // Unbalanced input (a truncated name) neither throws nor runs past its end.
  EXPECT_EQ(without_template_arguments("ns::f<int"), "ns::f");
  EXPECT_EQ(without_template_arguments("ns::myoperator<int>::get"), "ns::myoperator::get");
  EXPECT_EQ(without_template_arguments("ns::f>"), "ns::f>");
}

}  // namespace
}  // namespace leakscan
