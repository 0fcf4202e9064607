#!/usr/bin/python3
"""Generate the directory data of a test Active Directory forest.

    forest.py OUTDIR [--large | --domains N --dcs N --sites N --subnets N]
                     [--members N | --extra-members N] [--rootdse-dc NAME]
                     [--ldap-port P --kdc-port P [--dns-addresses loopback|site]]
                     [--dir-name NAME --dir-addr ADDR]

Without options: the small "test forest" (forest.test + child.forest.test,
sites HQ and Branch, 8 machines) that README.md describes.  --large (or the
explicit counts) builds a generated forest for benchmarks: a tree of domains
(each domain has up to 3 children, so 50 domains are 5 levels deep), DCs
spread over the sites, /24 subnets mapped to sites.

--extra-members N adds N members to the small forest (m01, m02, ...: root
domain in HQ, root in Branch, child in Branch, child in HQ, in turn), after
the 8 machines, whose names, addresses and RIDs stay as they are.

--dir-name/--dir-addr name the one directory server as the hosts of a
namespaced world reach it (e.g. dir.forest.test at 10.9.0.1): LDAP service
principals ldap/NAME and ldap/ADDR in the root realm, and an A record NAME
-> ADDR in dnsmasq.conf.

Everything is deterministic: the same options give byte-identical output
(SIDs and GUIDs are derived from names), so tests may hard-code them.

Outputs in OUTDIR (created if missing):
  nc/*.ldif         one LDIF per naming context, parents before children
  ncs.tsv           suffix DN, ldif file, kind (domain|config|schema|app),
                    most specific suffix first (the order slapd needs)
  rootdse/NAME.ldif the rootDSE that DC NAME would publish
  rootdse.ldif      copy of the one for --rootdse-dc (default: forest root PDC)
  hosts             /etc/hosts lines with each machine's site address
  machines.tsv      name fqdn domain realm role site ip dn principal (header)
  machines.json     the whole model (domains, sites, subnets, machines)
  realms.tsv        realm, domain fqdn, domain DN, parent realm or '-'
  principals.tsv    realm, principal, keytab file name (machines + ldap SPNs)
  dnsmasq.conf      SRV/A/CNAME records, only if --ldap-port/--kdc-port given

Stdlib only; run with /usr/bin/python3.
"""

import argparse
import base64
import hashlib
import ipaddress
import json
import os
import shutil
import struct
import sys
import uuid

# Functional level written everywhere (7 = Windows Server 2016).
LEVEL = 7

# userAccountControl values (MS-ADTS 2.2.16):
UAC_MEMBER = 0x1000        # WORKSTATION_TRUST_ACCOUNT
UAC_DC = 0x82000           # SERVER_TRUST_ACCOUNT | TRUSTED_FOR_DELEGATION
UAC_RODC = 0x5001000       # WORKSTATION_TRUST | TRUSTED_TO_AUTH_FOR_DELEG. | PARTIAL_SECRETS

# primaryGroupID: Domain Computers, Domain Controllers, Read-only DCs.
PGID = {"member": 515, "pdc": 516, "dc": 516, "rodc": 521}

# nTDSDSA options: 1 = IS_GC.  RODCs get 37 (IS_GC | DISABLE_OUTBOUND_REPL |
# 0x20), the value Samba's RODC join writes.
NTDS_GC = 1
NTDS_RODC = 37

# crossRef systemFlags.
CR_NC, CR_DOMAIN, CR_NOT_GC = 1, 2, 4

# Namespace for the deterministic GUIDs.
GUID_NS = uuid.UUID("6f1e1c2a-61f3-4d3c-9c6e-3b8d2d1a7f00")


def guid(*parts):
    return uuid.uuid5(GUID_NS, "|".join(parts).lower())


def sid_bytes(sid):
    """Binary form of a textual SID S-1-5-21-a-b-c[-rid] (MS-DTYP 2.4.2.2)."""
    f = sid.split("-")
    rev, auth, subs = int(f[1]), int(f[2]), [int(x) for x in f[3:]]
    return (struct.pack("<BB", rev, len(subs)) + auth.to_bytes(6, "big")
            + b"".join(struct.pack("<I", s) for s in subs))


def domain_sid(fqdn):
    h = hashlib.sha256(fqdn.lower().encode()).digest()
    a, b, c = struct.unpack("<III", h[:12])
    return "S-1-5-21-%d-%d-%d" % (a, b, c)


def dn_of(fqdn):
    return ",".join("DC=" + label for label in fqdn.split("."))


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------

class Domain:
    def __init__(self, fqdn, netbios, parent):
        self.fqdn = fqdn
        self.netbios = netbios
        self.parent = parent
        self.dn = dn_of(fqdn)
        self.realm = fqdn.upper()
        self.sid = domain_sid(fqdn)
        self.guid = guid("domain", fqdn)
        self.machines = []

    def depth(self):
        return 0 if self.parent is None else 1 + self.parent.depth()


class Site:
    def __init__(self, name):
        self.name = name
        self.subnets = []
        self.next_host = {}   # (subnet index, is DC) -> next free address


class Machine:
    def __init__(self, name, domain, role, site, gc=False):
        self.name = name.lower()
        self.domain = domain
        self.role = role            # pdc | dc | rodc | member
        self.site = site
        self.gc = gc
        self.ip = None
        self.rid = None
        domain.machines.append(self)

    @property
    def is_dc(self):
        return self.role != "member"

    @property
    def fqdn(self):
        return "%s.%s" % (self.name, self.domain.fqdn)

    @property
    def sam(self):
        return self.name.upper() + "$"

    @property
    def principal(self):
        return "%s@%s" % (self.sam, self.domain.realm)

    @property
    def dn(self):
        ou = "OU=Domain Controllers" if self.is_dc else "CN=Computers"
        return "CN=%s,%s,%s" % (self.name.upper(), ou, self.domain.dn)


class Forest:
    def __init__(self, root):
        self.root = root
        self.domains = [root]
        self.sites = []
        self.machines = []
        self.config_dn = "CN=Configuration," + root.dn
        self.schema_dn = "CN=Schema," + self.config_dn
        self.partitions_dn = "CN=Partitions," + self.config_dn
        self.sites_dn = "CN=Sites," + self.config_dn
        self.app_ncs = [("DomainDnsZones", "DC=DomainDnsZones," + root.dn),
                        ("ForestDnsZones", "DC=ForestDnsZones," + root.dn)]

    def site(self, name):
        for s in self.sites:
            if s.name == name:
                return s
        raise KeyError(name)

    def add(self, m):
        self.machines.append(m)
        return m

    # DNs of the per-DC objects in the configuration NC
    def server_dn(self, m):
        return "CN=%s,CN=Servers,CN=%s,%s" % (m.name.upper(), m.site.name,
                                               self.sites_dn)

    def ntds_dn(self, m):
        return "CN=NTDS Settings," + self.server_dn(m)

    def crossref_dn(self, d):
        return "CN=%s,%s" % (d.netbios, self.partitions_dn)

    def category(self, name):
        return "CN=%s,%s" % (name, self.schema_dn)

    def pdc(self, d):
        return next(m for m in d.machines if m.role == "pdc")

    def dcs(self, d=None):
        return [m for m in self.machines if m.is_dc and (d is None or m.domain is d)]

    def finish(self):
        """Give every machine a RID and an address in its site's first subnet."""
        for d in self.domains:
            for i, m in enumerate(d.machines):
                # AD hands out RIDs from 1000 on; DCs first, as dcpromo does.
                m.rid = 1000 + i
        for m in self.machines:
            m.ip = alloc_ip(m.site, dc=m.is_dc)


def host_range(net, dc):
    """First and last address for DCs or members in an IPv4 subnet: in a /16
    or larger, DCs from x.y.0.11 and members from x.y.1.21; in smaller nets
    DCs from .11 in the lower half, members in the upper half."""
    base, last = int(net.network_address), int(net.broadcast_address) - 1
    if net.prefixlen <= 16:
        return (base + 11, base + 254) if dc else (base + 256 + 21, last)
    mid = base + net.num_addresses // 2
    return (base + min(11, mid - base - 1), mid - 1) if dc else (mid + 1, last)


def alloc_ip(site, dc):
    """Next free address of the right kind in the site's IPv4 subnets, in
    order (the loopback /8 is skipped: it is where clients of the loopback
    world come from, not where machines live)."""
    for idx, net in enumerate(site.subnets):
        net = ipaddress.ip_network(net)
        if net.version != 4 or net.is_loopback:
            continue
        first, last = host_range(net, dc)
        n = site.next_host.get((idx, dc), first)
        if n <= last:
            site.next_host[(idx, dc)] = n + 1
            return str(ipaddress.ip_address(n))
    raise SystemExit("forest.py: site %s has no room for another host" % site.name)


# Domain (0 root, 1 child) and site of the n-th extra member, in turn.
EXTRA_MEMBER_PLACES = ((0, "HQ"), (0, "Branch"), (1, "Branch"), (1, "HQ"))


def small_forest(extra_members=0):
    """The default test forest (see README.md for the table), plus
    extra_members members m01, m02, ... after the 8 machines."""
    root = Domain("forest.test", "FOREST", None)
    f = Forest(root)
    child = Domain("child.forest.test", "CHILD", root)
    f.domains.append(child)
    for name, nets in (("HQ", ["10.1.0.0/16", "127.0.0.0/8"]),
                       ("Branch", ["10.2.0.0/16"])):
        s = Site(name)
        s.subnets = nets
        f.sites.append(s)
    hq, br = f.site("HQ"), f.site("Branch")
    f.add(Machine("rootdc1", root, "pdc", hq, gc=True))
    f.add(Machine("rootdc2", root, "dc", hq))
    f.add(Machine("rodc1", root, "rodc", br, gc=True))
    f.add(Machine("childdc1", child, "pdc", br, gc=True))
    f.add(Machine("childdc2", child, "dc", br))
    # Members last so that DCs get the low RIDs.
    f.add(Machine("member1", root, "member", hq))
    f.add(Machine("member2", root, "member", br))
    # childm1 sits in HQ, where its domain has no DC: the out-of-site case.
    f.add(Machine("childm1", child, "member", hq))
    for i in range(extra_members):
        dom, site = EXTRA_MEMBER_PLACES[i % len(EXTRA_MEMBER_PLACES)]
        f.add(Machine("m%02d" % (i + 1), (root, child)[dom], "member", f.site(site)))
    f.finish()
    return f


def generated_forest(n_domains, n_dcs, n_sites, n_subnets, members, branching=3):
    """A tree of n_domains under forest.test; each domain has up to
    `branching` children (breadth first), so depth grows as log3(n)."""
    root = Domain("forest.test", "FOREST", None)
    f = Forest(root)
    for i in range(1, n_domains):
        parent = f.domains[(i - 1) // branching]
        label = "d%d" % i
        f.domains.append(Domain("%s.%s" % (label, parent.fqdn), "D%d" % i, parent))

    for i in range(n_sites):
        f.sites.append(Site("Site%03d" % i))
    # /24 subnets dealt round-robin to the sites: the k-th goes to site
    # s = k mod sites as 10.(s+1).(k div sites).0/24 (unique while there are
    # at most 254 sites and 256 subnets per site).  The loopback /8 goes to
    # site 0 and counts as one of the subnets.
    f.sites[0].subnets.append("127.0.0.0/8")
    for k in range(max(0, n_subnets - 1)):
        s = k % n_sites
        f.sites[s].subnets.append("10.%d.%d.0/24" % (s + 1, k // n_sites))

    per = max(1, n_dcs // n_domains)
    extra = n_dcs - per * n_domains
    for di, d in enumerate(f.domains):
        count = per + (1 if di < extra else 0)
        label = "root" if d.parent is None else d.fqdn.split(".")[0]
        for j in range(count):
            role = "pdc" if j == 0 else ("rodc" if j % 10 == 9 else "dc")
            site = f.sites[(di * count + j) % n_sites]
            f.add(Machine("%sdc%02d" % (label, j + 1), d, role, site, gc=j < 2))
    for di, d in enumerate(f.domains):
        label = "root" if d.parent is None else d.fqdn.split(".")[0]
        for j in range(members):
            site = f.sites[(di * 7 + j) % n_sites]
            f.add(Machine("%sm%02d" % (label, j + 1), d, "member", site))
    f.finish()
    return f


# ---------------------------------------------------------------------------
# LDIF
# ---------------------------------------------------------------------------

class Ldif:
    def __init__(self):
        self.out = []

    def entry(self, dn, *attrs):
        """attrs: (name, value) pairs; bytes values are base64-encoded,
        lists expand into several values, None values are skipped."""
        lines = ["dn: " + dn]
        for name, value in attrs:
            values = value if isinstance(value, list) else [value]
            for v in values:
                if v is None:
                    continue
                if isinstance(v, bytes):
                    lines.append("%s:: %s" % (name, base64.b64encode(v).decode()))
                else:
                    lines.append("%s: %s" % (name, v))
        self.out.append("\n".join(lines) + "\n")

    def text(self):
        return "\n".join(self.out)


def oc(*classes):
    return [("objectClass", c) for c in ("top",) + classes]


def domain_ldif(f, d):
    L = Ldif()
    pdc = f.pdc(d)
    L.entry(d.dn, *oc("domain", "domainDNS"),
            ("dc", d.fqdn.split(".")[0]),
            ("fSMORoleOwner", f.ntds_dn(pdc)),
            ("objectSid", sid_bytes(d.sid)),
            ("objectGUID", d.guid.bytes_le),
            ("msDS-Behavior-Version", LEVEL),
            ("objectCategory", f.category("Domain-DNS")))
    # core.schema's organizationalUnit (the same class as AD's) allows no
    # objectGUID/objectCategory, so the OU carries only its name.
    L.entry("OU=Domain Controllers," + d.dn, *oc("organizationalUnit"),
            ("ou", "Domain Controllers"))
    for cn in ("Computers", "Users"):
        L.entry("CN=%s,%s" % (cn, d.dn), *oc("container"), ("cn", cn),
                ("objectGUID", guid("container", cn, d.dn).bytes_le),
                ("objectCategory", f.category("Container")))
    for m in d.machines:
        spn = ["HOST/" + m.fqdn, "HOST/" + m.name.upper()]
        if m.is_dc:
            spn += ["ldap/" + m.fqdn, "ldap/%s/%s" % (m.fqdn, d.fqdn)]
        L.entry(m.dn, *oc("person", "organizationalPerson", "user", "computer"),
                ("cn", m.name.upper()),
                ("sn", m.name.upper()),   # person MUSTs sn; AD has none
                ("sAMAccountName", m.sam),
                ("dNSHostName", m.fqdn),
                ("userAccountControl", {"member": UAC_MEMBER, "rodc": UAC_RODC}.get(m.role, UAC_DC)),
                ("primaryGroupID", PGID[m.role]),
                ("objectSid", sid_bytes("%s-%d" % (d.sid, m.rid))),
                ("objectGUID", guid("computer", m.fqdn).bytes_le),
                ("objectCategory", f.category("Computer")),
                ("servicePrincipalName", spn),
                # AD constructs msDS-isRODC on DC computer objects only.
                ("msDS-isRODC", None if not m.is_dc else
                 "TRUE" if m.role == "rodc" else "FALSE"))
    return L.text()


def app_ldif(f, name, dn):
    L = Ldif()
    L.entry(dn, *oc("domain", "domainDNS"), ("dc", name),
            ("objectGUID", guid("nc", dn).bytes_le),
            ("objectCategory", f.category("Domain-DNS")))
    return L.text()


def schema_ldif(f):
    L = Ldif()
    # AD's class is dMD (1.2.840.113556.1.3.9); its name clashes with
    # core.schema's dmd, which is used instead (see ad.schema).  core's dmd
    # allows neither cn (the RDN) nor fSMORoleOwner, hence extensibleObject.
    L.entry(f.schema_dn, *oc("dmd", "extensibleObject"), ("cn", "Schema"),
            ("dmdName", "Schema"),
            ("fSMORoleOwner", f.ntds_dn(f.pdc(f.root))),   # schema master
            ("objectGUID", guid("nc", f.schema_dn).bytes_le))
    return L.text()


def config_ldif(f):
    L = Ldif()
    root_pdc = f.pdc(f.root)
    all_ncs = [d.dn for d in f.domains]
    L.entry(f.config_dn, *oc("configuration"), ("cn", "Configuration"),
            ("objectGUID", guid("nc", f.config_dn).bytes_le),
            ("objectCategory", f.category("Configuration")))

    # CN=Partitions: one crossRef per NC.  Domains carry systemFlags 3, the
    # configuration and schema NCs 1, application (DNS) NCs 5: a reader must
    # use the flags, not the mere presence of a crossRef, to find domains.
    L.entry(f.partitions_dn, *oc("crossRefContainer"), ("cn", "Partitions"),
            ("fSMORoleOwner", f.ntds_dn(root_pdc)),   # domain naming master
            ("msDS-Behavior-Version", LEVEL),          # forest level
            ("objectGUID", guid("partitions", f.config_dn).bytes_le),
            ("objectCategory", f.category("Cross-Ref-Container")))
    for d in f.domains:
        L.entry(f.crossref_dn(d), *oc("crossRef"), ("cn", d.netbios),
                ("nCName", d.dn), ("dnsRoot", d.fqdn), ("nETBIOSName", d.netbios),
                ("systemFlags", CR_NC | CR_DOMAIN),
                ("trustParent", f.crossref_dn(d.parent) if d.parent else None),
                ("msDS-Behavior-Version", LEVEL),
                ("objectGUID", guid("crossref", d.dn).bytes_le),
                ("objectCategory", f.category("Cross-Ref")))
    for cn, nc in (("Enterprise Configuration", f.config_dn),
                   ("Enterprise Schema", f.schema_dn)):
        L.entry("CN=%s,%s" % (cn, f.partitions_dn), *oc("crossRef"), ("cn", cn),
                ("nCName", nc), ("dnsRoot", f.root.fqdn), ("systemFlags", CR_NC),
                ("objectGUID", guid("crossref", nc).bytes_le),
                ("objectCategory", f.category("Cross-Ref")))
    writable = [m for m in f.machines if m.role in ("pdc", "dc")]
    for name, nc in f.app_ncs:
        holders = [m for m in writable
                   if name == "ForestDnsZones" or m.domain is f.root]
        # Application NC crossRefs are named by a GUID in AD.
        L.entry("CN=%s,%s" % (guid("app", nc), f.partitions_dn), *oc("crossRef"),
                ("cn", str(guid("app", nc))),
                ("nCName", nc), ("dnsRoot", "%s.%s" % (name, f.root.fqdn)),
                ("systemFlags", CR_NC | CR_NOT_GC),
                ("msDS-NC-Replica-Locations", [f.ntds_dn(m) for m in holders]),
                ("objectGUID", guid("crossref", nc).bytes_le),
                ("objectCategory", f.category("Cross-Ref")))

    # CN=Sites: sites, their servers with NTDS Settings, then the subnets.
    L.entry(f.sites_dn, *oc("sitesContainer"), ("cn", "Sites"),
            ("objectGUID", guid("sites", f.config_dn).bytes_le),
            ("objectCategory", f.category("Sites-Container")))
    for s in f.sites:
        sdn = "CN=%s,%s" % (s.name, f.sites_dn)
        L.entry(sdn, *oc("site"), ("cn", s.name),
                ("objectGUID", guid("site", sdn).bytes_le),
                ("objectCategory", f.category("Site")))
        L.entry("CN=Servers," + sdn, *oc("serversContainer"), ("cn", "Servers"),
                ("objectGUID", guid("servers", sdn).bytes_le),
                ("objectCategory", f.category("Servers-Container")))
        for m in f.machines:
            if not m.is_dc or m.site is not s:
                continue
            rodc = m.role == "rodc"
            L.entry(f.server_dn(m), *oc("server"), ("cn", m.name.upper()),
                    ("dNSHostName", m.fqdn), ("serverReference", m.dn),
                    ("msDS-isRODC", "TRUE" if rodc else "FALSE"),
                    ("objectGUID", guid("server", m.fqdn).bytes_le),
                    ("objectCategory", f.category("Server")))
            d = m.domain
            base = [d.dn, f.config_dn, f.schema_dn]
            apps = [nc for name, nc in f.app_ncs
                    if name == "ForestDnsZones" or d is f.root]
            others = [nc for nc in all_ncs if nc != d.dn]
            if rodc:
                # What Samba's RODC join writes: no hasMasterNCs, the NCs as
                # full read-only replicas, options 37, category NTDS-DSA-RO.
                L.entry(f.ntds_dn(m), *oc("nTDSDSA", "nTDSDSARO"), ("cn", "NTDS Settings"),
                        ("options", NTDS_RODC),
                        ("msDS-HasDomainNCs", d.dn),
                        ("msDS-hasFullReplicaNCs", base + apps),
                        ("hasPartialReplicaNCs", others),
                        ("msDS-isRODC", "TRUE"),
                        ("msDS-Behavior-Version", LEVEL),
                        ("objectGUID", guid("ntds", m.fqdn).bytes_le),
                        ("objectCategory", f.category("NTDS-DSA-RO")))
            else:
                L.entry(f.ntds_dn(m), *oc("nTDSDSA"), ("cn", "NTDS Settings"),
                        ("options", NTDS_GC if m.gc else 0),
                        ("msDS-HasDomainNCs", d.dn),
                        ("msDS-hasMasterNCs", base + apps),
                        ("hasMasterNCs", base),
                        ("hasPartialReplicaNCs", others if m.gc else None),
                        ("msDS-isRODC", "FALSE"),
                        ("msDS-Behavior-Version", LEVEL),
                        ("objectGUID", guid("ntds", m.fqdn).bytes_le),
                        ("objectCategory", f.category("NTDS-DSA")))
    subnets_dn = "CN=Subnets," + f.sites_dn
    L.entry(subnets_dn, *oc("subnetContainer"), ("cn", "Subnets"),
            ("objectGUID", guid("subnets", f.config_dn).bytes_le),
            ("objectCategory", f.category("Subnet-Container")))
    for s in f.sites:
        for net in s.subnets:
            L.entry("CN=%s,%s" % (net, subnets_dn), *oc("subnet"), ("cn", net),
                    ("siteObject", "CN=%s,%s" % (s.name, f.sites_dn)),
                    ("objectGUID", guid("subnet", net).bytes_le),
                    ("objectCategory", f.category("Subnet")))
    return L.text()


def rootdse_ldif(f, m):
    """What DC m answers to a base search of "" (the attributes slapd
    cannot compute itself; it adds namingContexts, supportedControl...)."""
    L = Ldif()
    d = m.domain
    L.entry("", ("defaultNamingContext", d.dn),
            ("rootDomainNamingContext", f.root.dn),
            ("configurationNamingContext", f.config_dn),
            ("schemaNamingContext", f.schema_dn),
            ("dsServiceName", f.ntds_dn(m)),
            ("serverName", f.server_dn(m)),
            ("dnsHostName", m.fqdn),
            ("ldapServiceName", "%s:%s@%s" % (f.root.fqdn, m.name.lower() + "$", d.realm)),
            ("domainFunctionality", LEVEL),
            ("forestFunctionality", LEVEL),
            ("domainControllerFunctionality", LEVEL),
            ("isSynchronized", "TRUE"),
            ("isGlobalCatalogReady", "TRUE" if m.gc or m.role == "rodc" else "FALSE"),
            # AD (.800), AD v51 (.1670), LDAP_INTEG (.1791), ADAM-class
            # v60 (.1935), v61R2 (.2080), W8 (.2237)
            ("supportedCapabilities", ["1.2.840.113556.1.4.800",
                                       "1.2.840.113556.1.4.1670",
                                       "1.2.840.113556.1.4.1791",
                                       "1.2.840.113556.1.4.1935",
                                       "1.2.840.113556.1.4.2080",
                                       "1.2.840.113556.1.4.2237"]))
    return L.text()


# ---------------------------------------------------------------------------
# DNS (dnsmasq) records
# ---------------------------------------------------------------------------

def dnsmasq_records(f, ldap_port, kdc_port, addresses, dir_name=None, dir_addr=None,
                    child_ldap_port=None):
    """SRV records as AD's DC locator publishes them (MS-ADTS 6.3.6.1).
    Writable DCs register the generic and site records; RODCs only the
    site-specific ones (AD's default).  A records for every machine: its
    site address, or 127.0.0.1 for the loopback world.  child_ldap_port:
    the DCs of domains other than the root answer LDAP there (a second
    directory server holding their NCs)."""
    out = ["# generated by forest.py: DC locator records for the test forest"]
    for d in f.domains:
        out.append("local=/%s/" % d.fqdn)
    for m in f.machines:
        out.append("host-record=%s,%s" % (m.fqdn, m.ip if addresses == "site" else "127.0.0.1"))
    if dir_name and dir_addr:
        # The one directory server, by the name the hosts use for it.
        out.append("host-record=%s,%s" % (dir_name, dir_addr))

    def srv(name, m, port):
        out.append("srv-host=%s,%s,%d,0,100" % (name, m.fqdn, port))

    for m in f.machines:
        if not m.is_dc:
            continue
        d, s = m.domain, m.site.name
        lport = child_ldap_port if child_ldap_port and d is not f.root else ldap_port
        site_names = ["_ldap._tcp.%s._sites.dc._msdcs.%s" % (s, d.fqdn),
                      "_ldap._tcp.%s._sites.%s" % (s, d.fqdn)]
        for n in site_names:
            srv(n, m, lport)
        for n in ("_kerberos._tcp.%s._sites.dc._msdcs.%s" % (s, d.fqdn),
                  "_kerberos._tcp.%s._sites.%s" % (s, d.fqdn)):
            srv(n, m, kdc_port)
        if m.role == "rodc":
            continue
        for n in ("_ldap._tcp.dc._msdcs.%s" % d.fqdn,
                  "_ldap._tcp.%s" % d.fqdn,
                  "_ldap._tcp.%s.domains._msdcs.%s" % (d.guid, f.root.fqdn)):
            srv(n, m, lport)
        for n in ("_kerberos._tcp.dc._msdcs.%s" % d.fqdn,
                  "_kerberos._tcp.%s" % d.fqdn,
                  "_kerberos._udp.%s" % d.fqdn):
            srv(n, m, kdc_port)
        if m.role == "pdc":
            srv("_ldap._tcp.pdc._msdcs.%s" % d.fqdn, m, lport)
        # <DsaGuid>._msdcs.<forest> CNAME <dc fqdn>
        out.append("cname=%s._msdcs.%s,%s" % (guid("ntds", m.fqdn), f.root.fqdn, m.fqdn))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--large", action="store_true",
                    help="50 domains, 1000 DCs, 100 sites, 2000 subnets")
    ap.add_argument("--domains", type=int)
    ap.add_argument("--dcs", type=int)
    ap.add_argument("--sites", type=int)
    ap.add_argument("--subnets", type=int)
    ap.add_argument("--members", type=int, default=0,
                    help="member computers per domain (generated forests only)")
    ap.add_argument("--rootdse-dc", help="DC whose rootDSE slapd publishes")
    ap.add_argument("--ldap-port", type=int)
    ap.add_argument("--kdc-port", type=int)
    ap.add_argument("--child-ldap-port", type=int,
                    help="LDAP port of the DCs of every domain but the root (SRV records)")
    ap.add_argument("--dns-addresses", choices=("loopback", "site"), default="loopback",
                    help="A records: 127.0.0.1 (the loopback world) or each machine's "
                         "site address (only for clients inside test namespaces)")
    ap.add_argument("--extra-members", type=int, default=0,
                    help="members m01.. added to the small forest")
    ap.add_argument("--dir-name", help="host name of the directory server (LDAP "
                    "principal ldap/NAME, A record NAME -> --dir-addr)")
    ap.add_argument("--dir-addr", help="address of the directory server (LDAP "
                    "principal ldap/ADDR)")
    a = ap.parse_args()

    if a.dir_addr:
        try:
            ipaddress.ip_address(a.dir_addr)
        except ValueError:
            ap.error("--dir-addr wants an IP address")
    counts = (a.domains, a.dcs, a.sites, a.subnets)
    if a.large or any(c is not None for c in counts):
        dflt = (50, 1000, 100, 2000)
        n_dom, n_dc, n_site, n_net = (c if c is not None else x for c, x in zip(counts, dflt))
        if n_dom < 1 or n_dc < n_dom or n_site < 1 or n_net < n_site + 1 or n_site > 254:
            ap.error("need domains >= 1, dcs >= domains, 1 <= sites <= 254, subnets > sites")
        if n_net - 1 > n_site * 256:
            ap.error("at most 256 subnets per site")
        if a.extra_members:
            ap.error("--extra-members applies to the small forest (use --members)")
        f = generated_forest(n_dom, n_dc, n_site, n_net, a.members)
    else:
        if a.members:
            ap.error("--members applies to generated forests (--large or counts)")
        if not 0 <= a.extra_members <= 99:
            ap.error("--extra-members wants 0..99")
        f = small_forest(a.extra_members)

    out = a.outdir
    for sub in ("nc", "rootdse"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        os.makedirs(os.path.join(out, sub))

    # One LDIF per naming context, listed most specific suffix first.
    ncs = [(d.dn, "domain-%s.ldif" % d.fqdn, "domain", domain_ldif(f, d)) for d in f.domains]
    ncs += [(dn, "app-%s.ldif" % name, "app", app_ldif(f, name, dn)) for name, dn in f.app_ncs]
    ncs.append((f.config_dn, "config.ldif", "config", config_ldif(f)))
    ncs.append((f.schema_dn, "schema.ldif", "schema", schema_ldif(f)))
    ncs.sort(key=lambda n: (-n[0].count(","), n[0].lower()))
    tsv = []
    for dn, fname, kind, text in ncs:
        write(os.path.join(out, "nc", fname), text)
        tsv.append("%s\t%s\t%s" % (dn, fname, kind))
    write(os.path.join(out, "ncs.tsv"), "\n".join(tsv) + "\n")

    dcs = f.dcs()
    for m in dcs:
        write(os.path.join(out, "rootdse", m.name + ".ldif"), rootdse_ldif(f, m))
    pick = a.rootdse_dc or f.pdc(f.root).name
    if pick not in {m.name for m in dcs}:
        ap.error("--rootdse-dc: no DC named %r" % pick)
    shutil.copyfile(os.path.join(out, "rootdse", pick + ".ldif"),
                    os.path.join(out, "rootdse.ldif"))

    write(os.path.join(out, "hosts"), "".join(
        "%s\t%s %s\n" % (m.ip, m.fqdn, m.name) for m in f.machines))
    cols = ("name", "fqdn", "domain", "realm", "role", "site", "ip", "dn", "principal")
    rows = ["\t".join(cols)]
    for m in f.machines:
        rows.append("\t".join((m.name, m.fqdn, m.domain.fqdn, m.domain.realm, m.role,
                               m.site.name, m.ip, m.dn, m.principal)))
    write(os.path.join(out, "machines.tsv"), "\n".join(rows) + "\n")

    write(os.path.join(out, "realms.tsv"), "".join(
        "%s\t%s\t%s\t%s\n" % (d.realm, d.fqdn, d.dn, d.parent.realm if d.parent else "-")
        for d in f.domains))

    # Kerberos principals: every machine account (keytab <name>.keytab), and
    # the LDAP service principals slapd accepts (all in ldap.keytab): one per
    # DC name, as each AD DC has, plus localhost/127.0.0.1 for clients that
    # connect to the loopback slapd by address.
    pr = ["%s\t%s\t%s.keytab" % (m.domain.realm, m.principal, m.name) for m in f.machines]
    pr += ["%s\tldap/%s@%s\tldap.keytab" % (m.domain.realm, m.fqdn, m.domain.realm) for m in dcs]
    pr += ["%s\tldap/%s@%s\tldap.keytab" % (f.root.realm, h, f.root.realm)
           for h in ("localhost", "127.0.0.1")]
    # The directory server as the hosts of a namespaced world name it.
    pr += ["%s\tldap/%s@%s\tldap.keytab" % (f.root.realm, h.lower(), f.root.realm)
           for h in (a.dir_name, a.dir_addr)
           if h and h.lower() not in ("localhost", "127.0.0.1")]
    write(os.path.join(out, "principals.tsv"), "\n".join(pr) + "\n")

    model = {
        "forest": {"root": f.root.fqdn, "configuration": f.config_dn,
                   "schema": f.schema_dn, "rootdse_dc": pick,
                   "application_ncs": [dn for _, dn in f.app_ncs]},
        "domains": [{"fqdn": d.fqdn, "dn": d.dn, "netbios": d.netbios, "realm": d.realm,
                     "parent": d.parent.fqdn if d.parent else None, "sid": d.sid,
                     "guid": str(d.guid), "depth": d.depth(), "pdc": f.pdc(d).name,
                     "crossref": f.crossref_dn(d)} for d in f.domains],
        "sites": [{"name": s.name, "subnets": s.subnets} for s in f.sites],
        "machines": [{"name": m.name, "fqdn": m.fqdn, "domain": m.domain.fqdn,
                      "realm": m.domain.realm, "role": m.role, "site": m.site.name,
                      "ip": m.ip, "dn": m.dn, "principal": m.principal,
                      "sAMAccountName": m.sam, "rid": m.rid,
                      "sid": "%s-%d" % (m.domain.sid, m.rid),
                      "gc": m.gc or m.role == "rodc",
                      "server_dn": f.server_dn(m) if m.is_dc else None,
                      "ntds_dn": f.ntds_dn(m) if m.is_dc else None,
                      "ntds_guid": str(guid("ntds", m.fqdn)) if m.is_dc else None}
                     for m in f.machines],
    }
    write(os.path.join(out, "machines.json"), json.dumps(model, indent=1) + "\n")

    if a.ldap_port and a.kdc_port:
        write(os.path.join(out, "dnsmasq.conf"),
              dnsmasq_records(f, a.ldap_port, a.kdc_port, a.dns_addresses,
                              a.dir_name, a.dir_addr, a.child_ldap_port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
