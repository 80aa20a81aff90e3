// SPDX-License-Identifier: Apache-2.0
#include "artifacts/local/local_artifact_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "artifacts/artifact_store_factory.h"

namespace mlhub::artifacts {
namespace {

namespace fs = std::filesystem;

class LocalArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mlhub-artifacts-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = fs::canonical(tmpl);
    root_ = dir_ / "root";
    auto store = LocalArtifactStore::Create(root_.string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Put(std::string_view path, std::string_view content) {
    auto writer = store_->OpenForWrite(path);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->Write(content).ok());
    Status commit = (*writer)->Commit();
    ASSERT_TRUE(commit.ok()) << commit.ToString();
  }

  std::string Get(std::string_view path, size_t buffer_size = 4096) {
    auto reader = store_->OpenForRead(path);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) {
      return "<error>";
    }
    std::string out;
    std::string buffer(buffer_size, '\0');
    for (;;) {
      StatusOr<size_t> n = (*reader)->Read(buffer.data(), buffer.size());
      EXPECT_TRUE(n.ok());
      if (!n.ok() || *n == 0) {
        break;
      }
      out.append(buffer.data(), *n);
    }
    EXPECT_EQ(out.size(), (*reader)->size());
    return out;
  }

  // Every entry under the root, files and folders, as relative paths (temp files included).
  std::vector<std::string> OnDisk() {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      out.push_back(fs::relative(entry.path(), root_).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> ListedPaths(std::string_view path) {
    auto files = store_->List(path);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    std::vector<std::string> out;
    if (files.ok()) {
      for (const FileInfo& f : *files) {
        out.push_back(f.path + (f.is_dir ? "/" : ""));
      }
    }
    return out;
  }

  fs::path dir_;
  fs::path root_;
  std::unique_ptr<LocalArtifactStore> store_;
};

TEST_F(LocalArtifactStoreTest, CreateMakesTheRootAndRejectsAFile) {
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_EQ(store_->root(), root_);
  auto nested = LocalArtifactStore::Create((dir_ / "x" / "y" / "z").string());
  EXPECT_TRUE(nested.ok());
  std::ofstream(dir_ / "file") << "x";
  EXPECT_FALSE(LocalArtifactStore::Create((dir_ / "file").string()).ok());
  EXPECT_EQ(LocalArtifactStore::Create("").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalArtifactStoreTest, RoundTripInChunksWithNestedDirectories) {
  auto writer = store_->OpenForWrite("0/run/artifacts/model/MLmodel");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Write("hello, ").ok());
  ASSERT_TRUE((*writer)->Write("").ok());
  ASSERT_TRUE((*writer)->Write("world").ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(Get("0/run/artifacts/model/MLmodel"), "hello, world");
  EXPECT_EQ(Get("0/run/artifacts/model/MLmodel", 1), "hello, world");
  Put("empty", "");
  EXPECT_EQ(Get("empty"), "");
}

TEST_F(LocalArtifactStoreTest, MultiMegabyteWriteMatchesByteForByte) {
  std::string data(9 * 1024 * 1024 + 123, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (char& c : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  auto writer = store_->OpenForWrite("big/blob.bin");
  ASSERT_TRUE(writer.ok());
  // Mixed chunk sizes: tiny ones (buffered), ones around the buffer size and large direct ones.
  const size_t kSizes[] = {1, 7, 4096, 65536, 262143, 262144, 262145, 1 << 20, 3 << 20, 100};
  size_t offset = 0;
  for (size_t i = 0; offset < data.size(); ++i) {
    const size_t n = std::min(kSizes[i % std::size(kSizes)], data.size() - offset);
    ASSERT_TRUE((*writer)->Write(std::string_view(data).substr(offset, n)).ok());
    offset += n;
  }
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(fs::file_size(root_ / "big/blob.bin"), data.size());
  EXPECT_TRUE(Get("big/blob.bin", 1 << 16) == data);
  EXPECT_TRUE(Get("big/blob.bin", 1000) == data);
}

TEST_F(LocalArtifactStoreTest, OverwriteReplacesAtomically) {
  Put("a.txt", "first version");
  auto writer = store_->OpenForWrite("a.txt");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("second").ok());
  EXPECT_EQ(Get("a.txt"), "first version");  // not visible before Commit
  auto reader = store_->OpenForRead("a.txt");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(Get("a.txt"), "second");
  std::string buffer(64, '\0');  // a reader opened before keeps reading the old file whole
  auto n = (*reader)->Read(buffer.data(), buffer.size());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(buffer.substr(0, *n), "first version");
  EXPECT_EQ(OnDisk(), std::vector<std::string>{"a.txt"});
}

TEST_F(LocalArtifactStoreTest, UncommittedWriteIsInvisibleAndAbortLeavesNothing) {
  auto writer = store_->OpenForWrite("d/new.txt");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("partial").ok());
  EXPECT_EQ(store_->OpenForRead("d/new.txt").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ListedPaths("d").empty());
  EXPECT_EQ(OnDisk().size(), 2u);  // "d" and the temp file
  (*writer)->Abort();
  (*writer)->Abort();                                  // idempotent
  EXPECT_EQ(OnDisk(), std::vector<std::string>{"d"});  // created parents stay
  EXPECT_EQ((*writer)->Write("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->OpenForRead("d/new.txt").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalArtifactStoreTest, DestroyingAnUncommittedWriterLeavesNothing) {
  Put("keep.txt", "old");
  {
    auto writer = store_->OpenForWrite("keep.txt");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write(std::string(1 << 20, 'x')).ok());
    auto other = store_->OpenForWrite("gone.txt");
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Write("y").ok());
  }
  EXPECT_EQ(OnDisk(), std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(Get("keep.txt"), "old");
}

TEST_F(LocalArtifactStoreTest, CommitTwiceAndWriteAfterCommitFail) {
  auto writer = store_->OpenForWrite("f");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ((*writer)->Commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Write("x").code(), StatusCode::kFailedPrecondition);
  (*writer)->Abort();  // no effect after Commit
  EXPECT_EQ(Get("f"), "");
}

TEST_F(LocalArtifactStoreTest, ConcurrentWritersToOnePathLeaveOneWholeFile) {
  std::vector<std::thread> threads;
  for (char c = 'a'; c < 'e'; ++c) {
    threads.emplace_back([this, c] {
      auto writer = store_->OpenForWrite("same.bin");
      ASSERT_TRUE(writer.ok());
      for (int i = 0; i < 64; ++i) {
        ASSERT_TRUE((*writer)->Write(std::string(10000, c)).ok());
      }
      ASSERT_TRUE((*writer)->Commit().ok());
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  const std::string content = Get("same.bin");
  ASSERT_EQ(content.size(), 640000u);
  EXPECT_EQ(content, std::string(content.size(), content[0]));
  EXPECT_EQ(OnDisk(), std::vector<std::string>{"same.bin"});
}

TEST_F(LocalArtifactStoreTest, ListSemantics) {
  Put("0/r/artifacts/model/MLmodel", "m");
  Put("0/r/artifacts/model/model.pkl", "12345");
  Put("0/r/artifacts/b.txt", "bb");
  Put("0/r/artifacts/.gitignore", "*");
  Put("0/r/artifacts/a b.png", "png");
  fs::create_directories(root_ / "0/r/artifacts/empty_dir");
  auto writer = store_->OpenForWrite("0/r/artifacts/in_progress.txt");  // temp file: not listed
  ASSERT_TRUE(writer.ok());

  auto files = store_->List("0/r/artifacts");
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 5u);
  EXPECT_EQ((*files)[0].path, "0/r/artifacts/.gitignore");
  EXPECT_EQ((*files)[1].path, "0/r/artifacts/a b.png");
  EXPECT_EQ((*files)[2].path, "0/r/artifacts/b.txt");
  EXPECT_FALSE((*files)[2].is_dir);
  EXPECT_EQ((*files)[2].file_size, 2);
  EXPECT_EQ((*files)[3].path, "0/r/artifacts/empty_dir");
  EXPECT_TRUE((*files)[3].is_dir);
  EXPECT_EQ((*files)[4].path, "0/r/artifacts/model");
  EXPECT_TRUE((*files)[4].is_dir);

  EXPECT_EQ(
      ListedPaths("0/r/artifacts/model/"),
      (std::vector<std::string>{"0/r/artifacts/model/MLmodel", "0/r/artifacts/model/model.pkl"}));
  EXPECT_EQ(ListedPaths(""), std::vector<std::string>{"0/"});
  EXPECT_EQ(ListedPaths("."), std::vector<std::string>{"0/"});
  EXPECT_TRUE(ListedPaths("missing/dir").empty());
  EXPECT_TRUE(ListedPaths("0/r/artifacts/b.txt").empty());    // a file lists as empty
  EXPECT_TRUE(ListedPaths("0/r/artifacts/b.txt/x").empty());  // below a file: empty too
  EXPECT_EQ(store_->List("../x").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalArtifactStoreTest, ListSkipsNamesThatCannotBeFetched) {
  std::ofstream(root_ / "back\\slash") << "x";
  std::ofstream(root_ / "pct%41") << "x";
  std::ofstream(root_ / "ok%") << "x";
  EXPECT_EQ(ListedPaths(""), std::vector<std::string>{"ok%"});
}

TEST_F(LocalArtifactStoreTest, DeleteFilesAndTrees) {
  Put("d/x/1.txt", "1");
  Put("d/x/2.txt", "2");
  Put("d/3.txt", "3");
  Put("keep.txt", "k");
  EXPECT_TRUE(store_->Delete("d/3.txt").ok());
  EXPECT_EQ(store_->OpenForRead("d/3.txt").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete("d").ok());
  EXPECT_EQ(OnDisk(), std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(store_->Delete("d").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("nope/x.txt").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("keep.txt/x").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete(".").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete("..").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::exists(root_ / "keep.txt"));
}

TEST_F(LocalArtifactStoreTest, ReadOfMissingOrDirectoryIsNotFound) {
  Put("dir/f.txt", "f");
  EXPECT_EQ(store_->OpenForRead("missing.txt").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenForRead("dir").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenForRead("").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenForRead("dir/f.txt/x").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalArtifactStoreTest, WriteConflictsWithDirectoriesAndFiles) {
  Put("dir/f.txt", "f");
  EXPECT_EQ(store_->OpenForWrite("dir").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->OpenForWrite("dir/f.txt/g").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->OpenForWrite("").status().code(), StatusCode::kInvalidArgument);
  // A directory that appears at the target while writing makes Commit fail and cleans up.
  auto writer = store_->OpenForWrite("later");
  ASSERT_TRUE(writer.ok());
  fs::create_directories(root_ / "later" / "sub");
  EXPECT_FALSE((*writer)->Commit().ok());
  EXPECT_EQ(OnDisk(), (std::vector<std::string>{"dir", "dir/f.txt", "later", "later/sub"}));
}

TEST_F(LocalArtifactStoreTest, RejectsUnsafePathsAtTheStoreToo) {
  const std::string_view kBad[] = {"../escape.txt", "/etc/passwd", "a/../../b",
                                   "a//b",          "a\\b",        ".x.mlhub-tmp-0123456789abcdef"};
  for (std::string_view path : kBad) {
    EXPECT_EQ(store_->OpenForWrite(path).status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(store_->OpenForRead(path).status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(store_->List(path).status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(store_->Delete(path).code(), StatusCode::kInvalidArgument) << path;
  }
  EXPECT_FALSE(fs::exists(dir_ / "escape.txt"));
}

TEST_F(LocalArtifactStoreTest, SymlinksOutOfTheRootAreRejected) {
  const fs::path outside = dir_ / "outside";
  fs::create_directories(outside);
  std::ofstream(outside / "secret") << "secret";
  fs::create_directory_symlink(outside, root_ / "link");
  fs::create_symlink(outside / "secret", root_ / "secret_link");

  EXPECT_EQ(store_->OpenForRead("link/secret").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenForRead("secret_link").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenForWrite("link/new.txt").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenForWrite("link/sub/new.txt").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("link").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete("link/secret").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(outside / "new.txt"));
  EXPECT_FALSE(fs::exists(outside / "sub"));

  // Deleting the link removes the link, never what it points to.
  EXPECT_TRUE(store_->Delete("link").ok());
  EXPECT_TRUE(store_->Delete("secret_link").ok());
  EXPECT_TRUE(fs::exists(outside / "secret"));

  // Links that stay inside the root work.
  Put("real/f.txt", "inside");
  fs::create_directory_symlink(root_ / "real", root_ / "alias");
  EXPECT_EQ(Get("alias/f.txt"), "inside");
}

TEST_F(LocalArtifactStoreTest, FsyncOptionStillRoundTrips) {
  auto store = LocalArtifactStore::Create((dir_ / "synced").string(), {.fsync_on_commit = true});
  ASSERT_TRUE(store.ok());
  auto writer = (*store)->OpenForWrite("a/b.txt");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("durable").ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  auto reader = (*store)->OpenForRead("a/b.txt");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->size(), 7u);
}

TEST_F(LocalArtifactStoreTest, TempFileNamesAreRecognised) {
  EXPECT_TRUE(LocalArtifactStore::IsTempFileName(".a.txt.mlhub-tmp-0123456789abcdef"));
  EXPECT_TRUE(LocalArtifactStore::IsTempFileName("..mlhub-tmp-0123456789abcdef"));
  EXPECT_FALSE(LocalArtifactStore::IsTempFileName("a.txt.mlhub-tmp-0123456789abcdef"));
  EXPECT_FALSE(LocalArtifactStore::IsTempFileName(".a.txt.mlhub-tmp-0123456789ABCDEF"));
  EXPECT_FALSE(LocalArtifactStore::IsTempFileName(".gitignore"));
  // A very long name still gets a temp file within NAME_MAX.
  const std::string long_name(250, 'n');
  Put(long_name, "long");
  EXPECT_EQ(Get(long_name), "long");
}

TEST(ArtifactStoreFactoryTest, DispatchesOnTheScheme) {
  std::string tmpl = (fs::temp_directory_path() / "mlhub-factory-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = fs::canonical(tmpl);
  const auto root_of = [](const std::unique_ptr<ArtifactStore>& store) {
    return dynamic_cast<const LocalArtifactStore&>(*store).root();
  };

  auto plain = CreateArtifactStore((dir / "plain").string());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(root_of(*plain), dir / "plain");
  auto triple = CreateArtifactStore("file://" + (dir / "a b").string());
  ASSERT_TRUE(triple.ok()) << triple.status().ToString();
  EXPECT_EQ(root_of(*triple), dir / "a b");
  auto encoded = CreateArtifactStore("file://localhost" + dir.string() + "/x%20y");
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(root_of(*encoded), dir / "x y");
  auto single = CreateArtifactStore("file:" + (dir / "single").string());
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(root_of(*single), dir / "single");

  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  auto s3 = CreateArtifactStore("s3://bucket/prefix");  // no request is made until it is used
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  EXPECT_NE(dynamic_cast<s3::S3ArtifactStore*>(s3->get()), nullptr);
  EXPECT_EQ(CreateArtifactStore("s3://B_ad/x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateArtifactStore("gs://bucket").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(CreateArtifactStore("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateArtifactStore("file://otherhost/x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateArtifactStore("file:///x%zz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateArtifactStore("file:///x%00").status().code(), StatusCode::kInvalidArgument);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace mlhub::artifacts
