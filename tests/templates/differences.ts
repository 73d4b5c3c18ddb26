/**
 * Cases where ours deliberately renders differently from batou's Jinja2, by
 * case id, with the reason (docs/porting-from-batou.md lists them for users).
 */
const workdirBase = "environment.workdir_base is not offered: the environment has no work base of its own here (each root has its workdir; use component.workdir)";

export const differences: Record<string, string> = {
  "recensio.deployment/solr-buildout.cfg": workdirBase,
  "recensio.deployment/zeo-buildout.cfg": workdirBase,
  "recensio.deployment/zope-buildout.cfg": workdirBase,
  "zhkath.deployment/zope-buildout.cfg": workdirBase,
};
