#include "trainer/model/state_payload.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace sg {
namespace {

TEST(StatePayloadTest, RoundTripsSmallAndRawFields) {
  torch::manual_seed(1);
  const torch::Tensor meta = torch::tensor({4, 2, 64}, torch::kInt64);
  const torch::Tensor big = torch::randn({3, 100});
  const torch::Tensor wide = torch::randn({5, 300});
  StatePayloadWriter out;
  out.Write("meta", meta);
  out.WriteRaw("big", big);
  out.WriteRaw("rows", wide.slice(0, 1, 3));  // a view: rows 1 and 2
  const std::string payload = out.Finish();
  EXPECT_EQ(payload.substr(0, 8), "SGSTATE4");

  StatePayloadReader in(payload);
  EXPECT_TRUE(torch::equal(in.Read("meta"), meta));
  const torch::Tensor got = in.Read("big");
  EXPECT_TRUE(torch::equal(got, big));
  // The raw part starts a multiple of 64 bytes into the payload: as aligned as its buffer.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(got.data_ptr()) % 16, 0u);
  EXPECT_TRUE(torch::equal(in.Read("rows"), wide.slice(0, 1, 3)));
  torch::Tensor none;
  EXPECT_FALSE(in.TryRead("missing", none));
  EXPECT_THROW(in.Read("missing"), c10::Error);
}

TEST(StatePayloadTest, AStagedPayloadHoldsTheArraysAsTheyWereWhenStaged) {
  torch::manual_seed(2);
  torch::Tensor flat = torch::randn({4, 50});
  const torch::Tensor want = flat.clone();
  StatePayloadWriter out;
  out.Write("meta", torch::tensor({1}, torch::kInt64));
  out.WriteRaw("flat", flat.slice(0, 1, 3));
  out.WriteRaw("all", flat);
  out.Stage();
  flat.add_(1.0);  // training goes on after the stage (sg-train's checkpoints)
  const std::string payload = out.Finish();
  StatePayloadReader in(payload);
  EXPECT_TRUE(torch::equal(in.Read("flat"), want.slice(0, 1, 3)));
  EXPECT_TRUE(torch::equal(in.Read("all"), want));
}

TEST(StatePayloadTest, PiecesAreFinishsBytes) {
  torch::manual_seed(3);
  const torch::Tensor flat = torch::randn({4, 70}), moments = torch::randn({4, 70});
  auto fill = [&](StatePayloadWriter& out) {
    out.Write("meta", torch::tensor({7, 8}, torch::kInt64));
    out.WriteRaw("flat", flat);
    out.WriteRaw("exp_avg", moments.slice(0, 2, 4));
  };
  StatePayloadWriter whole, pieces;
  fill(whole);
  fill(pieces);
  pieces.Stage();
  std::string head;
  std::string joined;
  for (absl::string_view piece : pieces.Pieces(&head)) joined.append(piece.data(), piece.size());
  EXPECT_EQ(joined, whole.Finish());
  StatePayloadReader in(joined);
  EXPECT_TRUE(torch::equal(in.Read("exp_avg"), moments.slice(0, 2, 4)));
}

TEST(StatePayloadTest, ReadsAWholeArchiveAsBefore) {
  // Formats up to 3: one LibTorch archive, no magic.
  torch::serialize::OutputArchive ar;
  const torch::Tensor flat = torch::randn({2, 10});
  ar.write("flat", flat);
  std::ostringstream bytes;
  ar.save_to(bytes);
  const std::string payload = bytes.str();
  StatePayloadReader in(payload);
  EXPECT_TRUE(torch::equal(in.Read("flat"), flat));
}

TEST(StatePayloadTest, RefusesTruncatedOrInconsistentPayloads) {
  StatePayloadWriter out;
  out.Write("meta", torch::tensor({4}, torch::kInt64));
  out.WriteRaw("flat", torch::ones({4, 1000}));
  const std::string payload = out.Finish();
  // Cut inside the raw part: its array lies past the end.
  const std::string cut = payload.substr(0, payload.size() - 100);
  StatePayloadReader short_one(cut);
  EXPECT_THROW(short_one.Read("flat"), c10::Error);
  // Cut inside the archive, and an archive size past the end.
  EXPECT_THROW(StatePayloadReader(payload.substr(0, 40)), c10::Error);
  std::string lying = payload;
  lying[8] = '\x7f';
  lying[15] = '\x7f';
  EXPECT_THROW(StatePayloadReader{lying}, c10::Error);
  EXPECT_THROW(StatePayloadReader(std::string("junk")), c10::Error);
}

TEST(StatePayloadTest, RawArraysMustBeTwoDimensionalFloats) {
  StatePayloadWriter out;
  EXPECT_THROW(out.WriteRaw("x", torch::ones({3})), c10::Error);
  EXPECT_THROW(out.WriteRaw("x", torch::ones({3, 2}, torch::kInt64)), c10::Error);
}

}  // namespace
}  // namespace sg
