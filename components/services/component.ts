import { Component, File } from "batou";

/** A (pretend) service: writes its config and offers itself to the status site. */
export class Services extends Component {
  names = ["api", "worker"];
  basePort = 8000;

  configure() {
    this.names.forEach((name, index) => {
      const port = this.basePort + index;
      this.add(new File(`${name}.conf`, { content: `# ${name} on ${this.host.fqdn}\nport = ${port}\n` }));
      this.provide("service", { name, host: this.host.name, port });
    });
  }
}
