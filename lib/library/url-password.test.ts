import { afterEach, expect, test } from "bun:test";
import { Component, Download, GitClone } from "../batou.ts";
import { cleanupModels, model } from "../../tests/helpers/model.ts";
import { hidePassword } from "./url-password.ts";

afterEach(cleanupModels);

test.each([
  ["https://ci:hunter2@hg.example.com/app", "https://ci:*****@hg.example.com/app"],
  ["ssh://git:s3cr:et@git.example.com/repo.git", "ssh://git:*****@git.example.com/repo.git"],
  ["https://token@example.com/x", "https://token@example.com/x"],
  ["https://example.com/a:b@c", "https://example.com/a:b@c"],
  ["git@github.com:org/repo.git", "git@github.com:org/repo.git"],
])("hidePassword(%p) is %p", (url, shown) => {
  expect(hidePassword(url)).toBe(shown);
});

test("Download and GitClone name their URL without its password", () => {
  const added: Component[] = [];
  class Fetch extends Component {
    override configure() {
      added.push(this.add(new Download("https://u:pw@example.com/f.tar.gz", { checksum: `sha256:${"0".repeat(64)}` })));
      added.push(this.add(new GitClone("https://u:pw@example.com/r.git", { target: "r" })));
    }
  }
  model({ components: { fetch: Fetch }, hosts: { localhost: ["fetch"] } }).configure();
  expect(added.map((c) => c.breadcrumb)).toEqual(["Download('https://u:*****@example.com/f.tar.gz')", "GitClone('https://u:*****@example.com/r.git')"]);
});
