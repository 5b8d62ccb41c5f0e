// The approval link page (/approval/<token>) and the approval JSON API
// (/api/approvals...) against a real ApprovalService and hold queue on a temp
// storage dir, through AdminServer::Dispatch (the guard + route table, no
// network). The relay target is a closed loopback port: an approval's relay
// attempt fails, which these tests do not look at (the service's own tests do).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "admin/admin_server.h"
#include "admin/auth/password_hash.h"
#include "admin/auth/users_file.h"
#include "admin/api/approval_history.h"
#include "admin/local_client.h"
#include "proxy/approval/approval_service.h"

namespace mailtee::admin {
namespace {

using approval::HeldMessage;
using approval::HoldState;
using approval::TokenAction;
using nlohmann::json;

constexpr const char* kHeldId = "20261124T100000Z-0123456789ab";
constexpr const char* kBucho = "bucho@company.example";
constexpr const char* kKacho = "kacho@company.example";

// A loopback port with nothing listening (bound, then closed).
uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string HeaderOf(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class ApprovalApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    std::string tmpl = ::testing::TempDir() + "/admin_approval_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    storage_ = dir_ + "/storage";
    std::filesystem::create_directories(storage_);

    config_.enabled = true;
    config_.address = "approval@mailtee.local";
    config_.secret_file = dir_ + "/approval.key";
    config_.public_url = "https://mailtee.test:8443";
    approval::Rule rule;
    rule.sender = "*@company.example";
    rule.when = approval::When::kAlways;
    rule.approvers = {kBucho, kKacho};
    rule.line = 3;
    config_.rules = {rule};
    config_.relay_accounts = {approval::RelayAccount{"*", "relay@company.example", "relay-secret", 5}};
    log_ = std::make_unique<approval::ApprovalLog>(storage_ + "/logs", 30, false);
    ASSERT_TRUE(log_->Open().ok());

    approval::ServiceOptions o;
    o.loop = &loop_;
    o.config = &config_;
    o.storage_dir = storage_;
    o.relay.host = "127.0.0.1";
    o.relay.port = ClosedPort();
    o.relay.timeout_seconds = 5;
    o.log = log_.get();
    o.sweep_interval_ms = 3600 * 1000;
    ASSERT_TRUE(approval::ApprovalService::Create(o, &service_).ok());
    PutHold(kHeldId, 1);

    std::string hash;
    ASSERT_TRUE(HashPassword("pw-for-tests", HashCost::Minimum(), &hash).ok());
    bool replaced = false;
    ASSERT_TRUE(UpsertUser(dir_ + "/admin-users.xml", "alice", hash, &replaced).ok());
    AdminSettings settings;
    settings.https_enabled = false;
    settings.users_file = dir_ + "/admin-users.xml";
    settings.storage_dir = storage_;
    settings.public_url = "https://mailtee.test:8443";
    settings.approval_public_url = "https://approve.mailtee.test";  // the links' host may differ
    server_ = std::make_unique<AdminServer>(&loop_, settings, nullptr, AdminServices{});
    server_->AttachApprovals(service_.get(), log_.get());
  }

  void TearDown() override {
    server_.reset();
    service_.reset();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (uv_loop_alive(&loop_) && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    std::filesystem::remove_all(dir_);
  }

  void PutHold(const std::string& id, int quorum) {
    HeldMessage h;
    h.id = id;
    h.user = "taro@company.example";
    h.listener = "submission";
    h.client_ip = "192.0.2.10";
    h.sender = "taro@company.example";
    h.recipients = {"tanaka@customer.example"};
    h.subject = "お見積り <b>";
    h.rule = "line 3: *@company.example always";
    h.approvers = {kBucho, kKacho};
    h.quorum = quorum;
    h.held_at = time(nullptr);
    h.expires_at = time(nullptr) + 3600;
    ASSERT_TRUE(service_->queue()->Put(h).ok());
    std::ofstream(service_->queue()->MessagePath(id), std::ios::binary) << "Subject: x\r\n\r\nbody\r\n";
  }

  HeldMessage Hold(const std::string& id = kHeldId) {
    HeldMessage h;
    bool found = false;
    EXPECT_TRUE(service_->queue()->Get(id, &h, &found).ok());
    EXPECT_TRUE(found);
    return h;
  }

  std::string Token(const std::string& approver, TokenAction action, const std::string& id = kHeldId) {
    return service_->signer().Issue({id, approver, action, Hold(id).expires_at});
  }

  Response Send(const std::string& method, const std::string& path, const std::string& body = "",
                std::map<std::string, std::string> headers = {}, bool local = false) {
    Request r;
    r.method = method;
    r.target = path;
    const size_t q = path.find('?');
    r.path = PercentDecode(path.substr(0, q), false);
    if (q != std::string::npos) r.query = ParseQueryString(path.substr(q + 1));
    r.headers = std::move(headers);
    if (!cookie_.empty() && !r.headers.count("cookie")) r.headers["cookie"] = cookie_;
    if (!body.empty() && body[0] == '{') r.headers["content-type"] = "application/json";
    r.body = body;
    r.peer_ip = local ? "local" : "192.0.2.9";
    r.local_socket = local;
    bool done = false;
    Response out;
    server_->Dispatch(std::move(r), [&](Response resp) {
      out = std::move(resp);
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(done) << method << " " << path;
    return out;
  }

  void Login() {
    Response r = Send("POST", "/api/login", R"({"user":"alice","password":"pw-for-tests"})");
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string set_cookie = HeaderOf(r, "Set-Cookie");
    cookie_ = set_cookie.substr(0, set_cookie.find(';'));
    csrf_ = json::parse(r.body)["csrf_token"];
  }

  Response Post(const std::string& path, const json& body) {
    return Send("POST", path, body.dump(), {{"x-csrf-token", csrf_}});
  }

  std::string ApprovalLogText() { return Slurp(log_->PathFor(std::chrono::system_clock::now())); }

  uv_loop_t loop_{};
  std::string dir_, storage_;
  approval::ApprovalConfig config_;
  std::unique_ptr<approval::ApprovalLog> log_;
  std::unique_ptr<approval::ApprovalService> service_;
  std::unique_ptr<AdminServer> server_;
  std::string cookie_, csrf_;
};

// ---- the link page ------------------------------------------------------------

TEST_F(ApprovalApiTest, LinkGetShowsTheHoldAndChangesNothing) {
  const std::string token = Token(kBucho, TokenAction::kApprove);
  for (int i = 0; i < 2; ++i) {  // a link preview, then the approver: both see the page
    Response r = Send("GET", "/approval/" + token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_NE(r.body.find(kHeldId), std::string::npos);
    EXPECT_NE(r.body.find("お見積り &lt;b&gt;"), std::string::npos);  // escaped
    EXPECT_NE(r.body.find("name=\"token\" value=\"" + token + "\""), std::string::npos);
    EXPECT_NE(r.body.find("action=\"/approval/" + token + "\""), std::string::npos);
    EXPECT_EQ(r.body.find("<script"), std::string::npos);
    const std::string csp = HeaderOf(r, "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("script-src"), std::string::npos) << csp;
  }
  EXPECT_EQ(Hold().state, HoldState::kPending);
  EXPECT_TRUE(Hold().decisions.empty());
  EXPECT_FALSE(service_->queue()->TokenUsed(approval::TokenSigner::Fingerprint(token)));
}

TEST_F(ApprovalApiTest, LinkPostApprovesOnceAndReplayIsRefused) {
  const std::string token = Token(kBucho, TokenAction::kApprove);
  Response r = Send("POST", "/approval/" + token, "token=" + token, {{"origin", "null"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("approved " + std::string(kHeldId)), std::string::npos) << r.body;
  HeldMessage h = Hold();
  EXPECT_EQ(h.state, HoldState::kApproved);
  ASSERT_EQ(h.decisions.size(), 1u);
  EXPECT_EQ(h.decisions[0].approver, kBucho);
  EXPECT_EQ(h.decisions[0].via, "web");
  EXPECT_EQ(h.decisions[0].client_ip, "192.0.2.9");

  Response replay = Send("POST", "/approval/" + token, "token=" + token);
  EXPECT_EQ(replay.status, 403);
  EXPECT_NE(replay.body.find("already"), std::string::npos) << replay.body;
  EXPECT_EQ(Hold().decisions.size(), 1u);
  // The page after use explains instead of offering the form again.
  Response again = Send("GET", "/approval/" + token);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body.find("<form"), std::string::npos);
}

TEST_F(ApprovalApiTest, LinkRejectCarriesTheReason) {
  const std::string token = Token(kKacho, TokenAction::kReject);
  Response r = Send("POST", "/approval/" + token, "token=" + token + "&reason=%E5%AE%9B%E5%85%88%E3%82%92+check");
  ASSERT_EQ(r.status, 200) << r.body;
  HeldMessage h = Hold();
  EXPECT_EQ(h.state, HoldState::kRejected);
  ASSERT_EQ(h.decisions.size(), 1u);
  EXPECT_EQ(h.decisions[0].reason, "宛先を check");
}

TEST_F(ApprovalApiTest, ForgedTokenIsRefusedAndChangesNothing) {
  std::string token = Token(kBucho, TokenAction::kApprove);
  token[token.size() - 2] = token[token.size() - 2] == 'A' ? 'B' : 'A';  // signature no longer matches
  Response get = Send("GET", "/approval/" + token);
  EXPECT_EQ(get.status, 400);
  EXPECT_EQ(get.body.find("<form"), std::string::npos);
  Response post = Send("POST", "/approval/" + token, "token=" + token);
  EXPECT_EQ(post.status, 403);
  EXPECT_EQ(Hold().state, HoldState::kPending);
  EXPECT_TRUE(Hold().decisions.empty());
  EXPECT_NE(ApprovalLogText().find("refused"), std::string::npos);
}

TEST_F(ApprovalApiTest, PostWithoutThePagesFormOrFromAnotherSiteIsRefused) {
  const std::string token = Token(kBucho, TokenAction::kApprove);
  const std::string other = Token(kKacho, TokenAction::kApprove);
  EXPECT_EQ(Send("POST", "/approval/" + token, "").status, 403);
  EXPECT_EQ(Send("POST", "/approval/" + token, "token=" + other).status, 403);
  EXPECT_EQ(Send("POST", "/approval/" + token, "token=" + token, {{"sec-fetch-site", "cross-site"}}).status, 403);
  EXPECT_EQ(Send("POST", "/approval/" + token, "token=" + token, {{"origin", "https://evil.example"}}).status, 403);
  EXPECT_EQ(Hold().state, HoldState::kPending);
  EXPECT_FALSE(service_->queue()->TokenUsed(approval::TokenSigner::Fingerprint(token)));
  // The same form from the server's own origin works.
  EXPECT_EQ(Send("POST", "/approval/" + token, "token=" + token, {{"origin", "https://mailtee.test:8443"}}).status, 200);
}

TEST_F(ApprovalApiTest, FormOriginMustBeAConfiguredPublicUrlNotJustTheHost) {
  const std::string token = Token(kBucho, TokenAction::kApprove);
  // With public-url set, an Origin matching only the Host header is foreign
  // (a rebound DNS name reaches this server with its own Host).
  EXPECT_EQ(Send("POST", "/approval/" + token, "token=" + token,
                 {{"origin", "https://rebound.example"}, {"host", "rebound.example"}})
                .status,
            403);
  EXPECT_EQ(Hold().state, HoldState::kPending);
  // The origin of the links in the mails (<approval public-url>) is this server.
  EXPECT_EQ(Send("POST", "/approval/" + token, "token=" + token, {{"origin", "https://approve.mailtee.test"}}).status,
            200);
}

TEST_F(ApprovalApiTest, RepeatedRefusalsFromOneAddressAreThrottled) {
  std::string forged = Token(kBucho, TokenAction::kApprove);
  forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
  int refused = 0, throttled = 0;
  for (int i = 0; i < 8; ++i) {
    const int status = Send("POST", "/approval/" + forged, "token=" + forged).status;
    refused += status == 403;
    throttled += status == 429;
  }
  EXPECT_GE(refused, 5);  // the free tries (LoginThrottle's defaults)
  EXPECT_GE(throttled, 1);
  // While locked out, even a good token from that address does nothing.
  const std::string token = Token(kBucho, TokenAction::kApprove);
  Response r = Send("POST", "/approval/" + token, "token=" + token);
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(HeaderOf(r, "Retry-After").empty());
  EXPECT_EQ(Hold().state, HoldState::kPending);
}

TEST_F(ApprovalApiTest, WithoutTheServiceEverythingAnswers404) {
  server_ = std::make_unique<AdminServer>(&loop_, AdminSettings{}, nullptr, AdminServices{});
  Response r = Send("GET", "/approval/abc.def");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("not enabled"), std::string::npos);
  EXPECT_EQ(Send("GET", "/api/approvals", "", {}, true).status, 404);
}

// ---- the JSON API -------------------------------------------------------------

TEST_F(ApprovalApiTest, ApiNeedsLoginAndCsrf) {
  EXPECT_EQ(Send("GET", "/api/approvals").status, 401);
  EXPECT_EQ(Send("POST", "/api/approvals/" + std::string(kHeldId) + "/approve", "{}").status, 401);
  Login();
  Response no_csrf = Send("POST", "/api/approvals/" + std::string(kHeldId) + "/approve", R"({"as":"bucho@company.example"})");
  EXPECT_EQ(no_csrf.status, 403);
  Response bad_csrf = Send("POST", "/api/approvals/delegate", R"({"approver":"bucho@company.example","proxy":"x@company.example"})",
                           {{"x-csrf-token", "nope"}});
  EXPECT_EQ(bad_csrf.status, 403);
  EXPECT_EQ(Hold().state, HoldState::kPending);
  std::vector<approval::Delegation> d;
  ASSERT_TRUE(service_->queue()->ListDelegations(&d).ok());
  EXPECT_TRUE(d.empty());
}

TEST_F(ApprovalApiTest, ListAndGet) {
  PutHold("20261124T110000Z-ffffffffffff", 2);
  Login();
  Response r = Send("GET", "/api/approvals");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["state"], "pending");
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["id"], kHeldId);  // pending: oldest first
  EXPECT_EQ(j["items"][0]["subject"], "お見積り <b>");
  EXPECT_EQ(Send("GET", "/api/approvals?state=bogus").status, 400);
  EXPECT_EQ(Send("GET", "/api/approvals?limit=00").status, 400);
  EXPECT_EQ(Send("GET", "/api/approvals?limit=-1").status, 400);
  EXPECT_EQ(json::parse(Send("GET", "/api/approvals?state=relayed").body)["items"].size(), 0u);
  EXPECT_EQ(json::parse(Send("GET", "/api/approvals?state=all&limit=1").body)["truncated"], true);

  Response one = Send("GET", "/api/approvals/" + std::string(kHeldId));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(json::parse(one.body)["undecided"], json::array({kBucho, kKacho}));
  EXPECT_EQ(Send("GET", "/api/approvals/nope").status, 404);
}

TEST_F(ApprovalApiTest, AdminApprovesOnBehalfOfAnApprover) {
  Login();
  const std::string path = "/api/approvals/" + std::string(kHeldId) + "/approve";
  Response ambiguous = Post(path, {{"reason", "ok"}});  // two approvers left: say which
  EXPECT_EQ(ambiguous.status, 400);
  EXPECT_NE(ambiguous.body.find(kKacho), std::string::npos);
  EXPECT_EQ(Post(path, {{"as", "someone@else.example"}}).status, 400);

  Response r = Post(path, {{"as", "Kacho@Company.Example"}, {"reason", "phone OK\nfrom the boss"}});
  ASSERT_EQ(r.status, 200) << r.body;
  HeldMessage h = Hold();
  EXPECT_EQ(h.state, HoldState::kApproved);
  ASSERT_EQ(h.decisions.size(), 1u);
  EXPECT_EQ(h.decisions[0].approver, "admin:alice");
  EXPECT_EQ(h.decisions[0].on_behalf_of, kKacho);
  EXPECT_EQ(h.decisions[0].via, "admin");
  EXPECT_EQ(h.decisions[0].reason, "phone OK from the boss");
  EXPECT_NE(ApprovalLogText().find("approve id=" + std::string(kHeldId) + " by=admin:alice for=" + kKacho),
            std::string::npos) << ApprovalLogText();
  // Decided holds cannot be decided again.
  EXPECT_EQ(Post("/api/approvals/" + std::string(kHeldId) + "/reject", {{"as", kBucho}}).status, 409);
}

TEST_F(ApprovalApiTest, QuorumCountsTheAdminsDecisionForOneApprover) {
  const std::string id = "20261124T120000Z-aaaaaaaaaaaa";
  PutHold(id, 2);
  Login();
  Response first = Post("/api/approvals/" + id + "/approve", {{"as", kBucho}});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(json::parse(first.body)["message"].get<std::string>().find("1 of 2"), std::string::npos);
  EXPECT_EQ(Hold(id).state, HoldState::kPending);
  EXPECT_EQ(Post("/api/approvals/" + id + "/approve", {{"as", kBucho}}).status, 409);  // already decided
  // kacho is the only one left: "as" may be omitted.
  Response second = Post("/api/approvals/" + id + "/reject", {{"reason", "no"}});
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(Hold(id).state, HoldState::kRejected);
}

// Separation of duties (docs/approval.md): the sender's own link is refused with 403 and a reason in both languages.
TEST_F(ApprovalApiTest, TheSendersOwnLinkIsRefused) {
  HeldMessage h = Hold();
  h.approvers = {kBucho, "taro@company.example"};  // a rule that lists the whole team, sender included
  ASSERT_TRUE(service_->queue()->Put(h).ok());
  const std::string token = Token("taro@company.example", TokenAction::kApprove);
  Response page = Send("GET", "/approval/" + token);  // says so before the button is pressed
  EXPECT_EQ(page.status, 400);
  EXPECT_EQ(page.body.find("<form"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("自分のメールを承認・差し戻しできません"), std::string::npos) << page.body;
  Response r = Send("POST", "/approval/" + token, "token=" + token, {{"origin", "null"}});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("cannot decide on their own message"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("自分のメールを承認・差し戻しできません"), std::string::npos) << r.body;
  EXPECT_EQ(Hold().state, HoldState::kPending);
  EXPECT_TRUE(Hold().decisions.empty());
  EXPECT_NE(ApprovalLogText().find("refused id=" + std::string(kHeldId) + " by=taro@company.example"),
            std::string::npos)
      << ApprovalLogText();
}

TEST_F(ApprovalApiTest, OneAdminCannotApproveAsTwoApprovers) {
  const std::string id = "20261124T130000Z-bbbbbbbbbbbb";
  PutHold(id, 2);
  Login();
  ASSERT_EQ(Post("/api/approvals/" + id + "/approve", {{"as", kBucho}}).status, 200);
  Response twice = Post("/api/approvals/" + id + "/approve", {{"as", kKacho}});
  EXPECT_EQ(twice.status, 403) << twice.body;
  const json body = json::parse(twice.body, nullptr, false);
  EXPECT_EQ(body.value("code", ""), "already-decided") << twice.body;
  EXPECT_NE(body.value("error", "").find("each approval must come from a different person"), std::string::npos);
  EXPECT_EQ(Hold(id).state, HoldState::kPending);
  EXPECT_EQ(Hold(id).Approvals(), 1);
  EXPECT_NE(ApprovalLogText().find("refused id=" + id + " by=admin:alice for=" + kKacho), std::string::npos)
      << ApprovalLogText();
}

TEST_F(ApprovalApiTest, LocalSocketDecidesAsTheNamedApprover) {
  Response none = Send("POST", "/api/approvals/" + std::string(kHeldId) + "/reject", "{}", {}, true);
  EXPECT_EQ(none.status, 400);
  Response stranger = Send("POST", "/api/approvals/" + std::string(kHeldId) + "/reject",
                           R"({"as":"nobody@company.example"})", {}, true);
  EXPECT_EQ(stranger.status, 403);
  Response r = Send("POST", "/api/approvals/" + std::string(kHeldId) + "/reject",
                    R"({"as":"bucho@company.example","reason":"wrong customer"})", {}, true);
  ASSERT_EQ(r.status, 200) << r.body;
  HeldMessage h = Hold();
  EXPECT_EQ(h.state, HoldState::kRejected);
  EXPECT_EQ(h.decisions[0].approver, kBucho);
  EXPECT_EQ(h.decisions[0].via, "cli");
}

TEST_F(ApprovalApiTest, DelegateSetsAndClearsAProxy) {
  Login();
  Response bad = Post("/api/approvals/delegate", {{"approver", kBucho}, {"proxy", "kakari@company.example"}, {"until", "2026/12/01"}});
  EXPECT_EQ(bad.status, 400);
  Response set = Post("/api/approvals/delegate", {{"approver", kBucho}, {"proxy", "kakari@company.example"}});
  ASSERT_EQ(set.status, 200) << set.body;
  json list = json::parse(Send("GET", "/api/approvals").body);
  ASSERT_EQ(list["delegations"].size(), 1u);
  EXPECT_EQ(list["delegations"][0]["proxy"], "kakari@company.example");
  // The proxy now decides through the local API as bucho's delegate.
  Response r = Send("POST", "/api/approvals/" + std::string(kHeldId) + "/approve", R"({"as":"kakari@company.example"})", {}, true);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Hold().decisions[0].on_behalf_of, kBucho);
  EXPECT_NE(ApprovalLogText().find("delegate by=" + std::string(kBucho)), std::string::npos) << ApprovalLogText();

  ASSERT_EQ(Post("/api/approvals/delegate", {{"approver", kBucho}, {"proxy", ""}}).status, 200);
  EXPECT_EQ(json::parse(Send("GET", "/api/approvals").body)["delegations"].size(), 0u);
}

TEST_F(ApprovalApiTest, HistoryReadsTheApprovalLogNewestFirst) {
  Login();
  ASSERT_EQ(Post("/api/approvals/" + std::string(kHeldId) + "/reject", {{"as", kBucho}, {"reason", "say \"no\""}}).status, 200);
  Response r = Send("GET", "/api/approvals/history?days=2");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  ASSERT_FALSE(j["events"].empty()) << r.body;
  bool found = false;
  for (const json& e : j["events"]) {
    if (e["event"] == "reject") {
      found = true;
      EXPECT_EQ(e["id"], kHeldId);
      EXPECT_EQ(e["by"], "admin:alice");
      EXPECT_EQ(e["reason"], "say \"no\"");
      EXPECT_EQ(e["subject"], "お見積り <b>");
    }
  }
  EXPECT_TRUE(found) << r.body;
  EXPECT_EQ(Send("GET", "/api/approvals/history?days=0").status, 400);
  EXPECT_EQ(Send("GET", "/api/approvals/history?days=abc").status, 400);
}

// What `mailtee approval reject ID --as ... --reason ...` sends while the
// daemon runs: a JSON body over the real local socket.
TEST_F(ApprovalApiTest, LocalSocketClientCarriesTheJsonBody) {
  AdminSettings settings;
  settings.https_enabled = false;
  settings.storage_dir = storage_;
  settings.users_file = dir_ + "/admin-users.xml";
  settings.socket_path = dir_ + "/admin.sock";
  server_ = std::make_unique<AdminServer>(&loop_, settings, nullptr, AdminServices{});
  server_->AttachApprovals(service_.get(), log_.get());
  ASSERT_TRUE(server_->Start().ok());
  LocalResponse answer;
  Status status;
  bool done = false;
  std::thread client([&] {
    status = LocalApiRequest(settings.socket_path, "POST", "/api/approvals/" + std::string(kHeldId) + "/reject",
                             R"({"as":"kacho@company.example","reason":"not this customer"})", &answer);
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  client.join();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(Hold().state, HoldState::kRejected);
  EXPECT_EQ(Hold().decisions[0].reason, "not this customer");
  bool stopped = false;
  server_->Stop([&] { stopped = true; });
  while (!stopped) uv_run(&loop_, UV_RUN_ONCE);
}

TEST(ApprovalHistoryTest, ParsesLinesWithQuotedValues) {
  ApprovalLogEvent e;
  ASSERT_TRUE(ParseApprovalLogLine(
      "2026-11-24T17:30:02.114+09:00 reject id=X by=admin:alice for=b@c.example ip=192.0.2.1 via=admin "
      "subject=\"a \\\"q\\\" b\" reason=\"line\\nnext\"",
      &e));
  EXPECT_EQ(e.time, "2026-11-24T17:30:02.114+09:00");
  EXPECT_EQ(e.event, "reject");
  EXPECT_EQ(e.fields["id"], "X");
  EXPECT_EQ(e.fields["for"], "b@c.example");
  EXPECT_EQ(e.fields["subject"], "a \"q\" b");
  EXPECT_EQ(e.fields["reason"], "line\nnext");
  EXPECT_FALSE(ParseApprovalLogLine("", &e));
  EXPECT_FALSE(ParseApprovalLogLine("garbage", &e));
  EXPECT_FALSE(ParseApprovalLogLine("2026-11-24T17:30:02.114+09:00 held noequals", &e));
}

std::string LocalDay(time_t t) {
  struct tm local {};
  localtime_r(&t, &local);
  char buf[16];
  strftime(buf, sizeof buf, "%Y%m%d", &local);
  return buf;
}

TEST(ApprovalHistoryTest, ReadsTheLastNDaysNewestFirstAndBounded) {
  std::string tmpl = ::testing::TempDir() + "/approval_history_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string logs = tmpl + "/logs/approval/";
  std::filesystem::create_directories(logs);
  const time_t now = time(nullptr);
  std::ofstream(logs + LocalDay(now - 3 * 86400) + ".log") << "2026-01-01T00:00:00.000+09:00 held id=old\n";
  std::ofstream(logs + LocalDay(now - 86400) + ".log") << "2026-01-02T00:00:00.000+09:00 held id=y1\n"
                                                       << "2026-01-02T00:00:01.000+09:00 approve id=y1\n";
  std::ofstream(logs + LocalDay(now) + ".log") << "2026-01-03T00:00:00.000+09:00 held id=t1\n"
                                              << "cut line without a time\n"
                                              << "2026-01-03T00:00:01.000+09:00 reject id=t1\n";
  std::vector<ApprovalLogEvent> events;
  bool truncated = true;
  ASSERT_TRUE(ReadApprovalHistory(tmpl, 2, now, 100, &events, &truncated).ok());
  EXPECT_FALSE(truncated);
  std::string order;
  for (const auto& e : events) order += e.event + ":" + e.fields.at("id") + " ";
  EXPECT_EQ(order, "reject:t1 held:t1 approve:y1 held:y1 ");
  ASSERT_TRUE(ReadApprovalHistory(tmpl, 2, now, 3, &events, &truncated).ok());
  EXPECT_TRUE(truncated);
  EXPECT_EQ(events.size(), 3u);
  ASSERT_TRUE(ReadApprovalHistory(tmpl, 1, now, 100, &events, &truncated).ok());
  EXPECT_EQ(events.size(), 2u);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace mailtee::admin
