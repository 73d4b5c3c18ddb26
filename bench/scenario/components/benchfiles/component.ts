// Benchmark scenario (bench/remote.ts): K small templated files per host, the
// same files as ../shared/harness/scenario/batou/components/benchfiles.
import { Component, Directory, File } from "batou";

export class Benchfiles extends Component {
  count = 100;

  configure() {
    this.add(new Directory("files"));
    for (let i = 0; i < this.count; i++) {
      const name = `f${String(i).padStart(3, "0")}`;
      this.add(new File(`files/${name}.conf`, { source: "file.conf.tmpl", templateArgs: { i, name } }));
    }
  }
}
