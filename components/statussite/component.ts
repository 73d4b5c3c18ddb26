import { Component, Directory, File } from "batou";

interface Service {
  name: string;
  host: string;
  port: number;
}

/** A static status page of the environment: open work/statussite/site/index.html. */
export class StatusSite extends Component {
  title = "Status";

  configure() {
    const services = this.require<Service>("service").sort((a, b) => a.name.localeCompare(b.name));
    this.add(new Directory("site"));
    this.add(new File("site/index.html", { source: "index.html.j2", templateArgs: { services } }));
    this.add(new File("site/style.css", { source: "style.css", template: false }));
    this.log(`status page for ${services.length} service(s): ${this.workdir}/site/index.html`);
  }
}
