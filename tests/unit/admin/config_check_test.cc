// POST /api/config/validate and /api/config/reload: the checks (real loader)
// and the routes, driven through a real libuv loop (they run on a worker).
#include "admin/api/config_check.h"

#include <sys/stat.h>
#include <uv.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "admin/api/api_context.h"

namespace mailtee::admin {
namespace {

const char kGood[] =
    "<mailtee>\n"
    "  <listener name=\"s\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
    "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
    "  </listener>\n"
    "</mailtee>\n";

// Line 3: an unknown attribute; line 5: a second listener on the same port.
const char kBad[] =
    "<mailtee>\n"
    "  <listener name=\"s\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
    "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\" colour=\"blue\"/>\n"
    "  </listener>\n"
    "  <listener name=\"t\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"99999\" tls=\"starttls\">\n"
    "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
    "  </listener>\n"
    "</mailtee>\n";

class ConfigCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee-configcheck-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/mailtee.xml";
    Save(kGood);
    running_.source = path_;
    uv_loop_init(&loop_);
    ctx_.loop = &loop_;
    ctx_.settings = &settings_;
    ctx_.services.config = &running_;
    AddConfigRoutes(&router_, &ctx_);
  }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    std::filesystem::remove_all(dir_);
  }
  void Save(const std::string& xml) { std::ofstream(path_, std::ios::binary | std::ios::trunc) << xml; }

  // Runs one POST through the route and the loop until it answers.
  Response Post(const std::string& path, const std::string& body) {
    RouteMatch m = router_.Find("POST", path);
    EXPECT_NE(m.route, nullptr) << path;
    Request req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    req.local_socket = true;
    req.user = "local";
    bool answered = false;
    Response out;
    m.route->handler(req, [&](Response r) {
      out = std::move(r);
      answered = true;
    });
    while (!answered && uv_run(&loop_, UV_RUN_ONCE) != 0) {
    }
    EXPECT_TRUE(answered);
    return out;
  }

  std::string dir_, path_;
  config::Config running_;
  uv_loop_t loop_;
  AdminSettings settings_;
  ApiContext ctx_;
  Router router_;
};

TEST_F(ConfigCheckTest, GoodTextValidates) {
  nlohmann::json j = ValidationToJson(ValidateConfigText(kGood, path_));
  EXPECT_TRUE(j["ok"]) << j.dump();
  EXPECT_EQ(j["errors"], 0);
}

TEST_F(ConfigCheckTest, BadTextListsProblemsWithLineNumbers) {
  nlohmann::json j = ValidationToJson(ValidateConfigText(kBad, path_));
  EXPECT_FALSE(j["ok"]);
  ASSERT_GE(j["errors"].get<int>(), 2) << j.dump();
  bool line3 = false, line5 = false;
  for (const auto& p : j["problems"]) {
    EXPECT_EQ(p["file"], "<submitted>");
    if (p["line"] == 3 && p["severity"] == "error" && p["message"].get<std::string>().find("colour") != std::string::npos)
      line3 = true;
    if (p["line"] == 5 && p["severity"] == "error") line5 = true;
  }
  EXPECT_TRUE(line3) << j.dump(1);
  EXPECT_TRUE(line5) << j.dump(1);
}

TEST_F(ConfigCheckTest, MalformedXmlNamesTheLine) {
  nlohmann::json j = ValidationToJson(ValidateConfigText("<mailtee>\n  <listener name=\"s\"\n</mailtee>\n", path_));
  EXPECT_FALSE(j["ok"]);
  ASSERT_FALSE(j["problems"].empty());
  EXPECT_GT(j["problems"][0]["line"].get<int>(), 0) << j.dump();
}

TEST_F(ConfigCheckTest, ValidateRouteChecksBodyOrFileOnDisk) {
  Response r = Post("/api/config/validate", kBad);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(nlohmann::json::parse(r.body)["ok"]);
  r = Post("/api/config/validate", "");  // the file on disk: good
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_TRUE(j["ok"]) << r.body;
  EXPECT_EQ(j["source"], path_);
  Save(kBad);
  j = nlohmann::json::parse(Post("/api/config/validate", "").body);
  EXPECT_FALSE(j["ok"]);
  EXPECT_EQ(j["problems"][0]["file"], path_);
}

TEST_F(ConfigCheckTest, ReloadWithoutDaemonHookIs503) {
  EXPECT_EQ(Post("/api/config/reload", "").status, 503);
}

TEST_F(ConfigCheckTest, ReloadRefusesABadFileAndNeverCallsTheHook) {
  int reloads = 0;
  // The routes capture ctx_; services are read at request time.
  ctx_.services.request_reload = [&] { ++reloads; };
  Save(kBad);
  Response r = Post("/api/config/reload", "");
  EXPECT_EQ(r.status, 409) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_FALSE(j["reloading"]);
  EXPECT_GE(j["errors"].get<int>(), 2);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(reloads, 0);
}

TEST_F(ConfigCheckTest, ReloadOfAGoodFileAnswersThenCallsTheHookOnce) {
  int reloads = 0;
  ctx_.services.request_reload = [&] { ++reloads; };
  Response r = Post("/api/config/reload", "");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(nlohmann::json::parse(r.body)["reloading"]);
  EXPECT_EQ(reloads, 0);  // not yet: the answer goes out first
  uv_run(&loop_, UV_RUN_DEFAULT);  // the short delay timer
  EXPECT_EQ(reloads, 1);
}

TEST_F(ConfigCheckTest, UnreadableFileIsAProblemNotACrash) {
  std::filesystem::remove(path_);
  nlohmann::json j = nlohmann::json::parse(Post("/api/config/validate", "").body);
  EXPECT_FALSE(j["ok"]);
  EXPECT_EQ(j["errors"], 1);
}

}  // namespace
}  // namespace mailtee::admin
