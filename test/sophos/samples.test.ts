/**
 * Every real answer in test/fixtures/sophos-samples goes through the client's answer parser
 * (parseResponse + the entity mapping) and ends in the expected typed result or typed error.
 * One test per file; a last test makes sure no sample is left without one.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { XMLParser } from "fast-xml-parser";
import type { IpHost } from "../../src/protocol/index.ts";
import {
  getResults,
  ipHostFromNode,
  ipHostGroupFromNode,
  writeOutcomes,
} from "../../src/sophos/entity-results.ts";
import {
  AuthenticationError,
  CallerNotAllowedError,
  RequestInvalidError,
  SophosApiError,
  TransactionFailError,
} from "../../src/sophos/errors.ts";
import { ipHostGroupXml, ipHostXml } from "../../src/sophos/request-xml.ts";
import { parseResponse } from "../../src/sophos/response.ts";
import type { SophosResponse } from "../../src/sophos/types.ts";
import { pythonDict, readSample, sampleFiles, xmltodictToXml } from "./samples.ts";

const URL = "https://fw.test:4444";
const covered = new Set<string>();

function answer(body: string): SophosResponse {
  return parseResponse({ status: 200, headers: { "content-type": "text/xml" }, body }, URL);
}
function hosts(file: string): IpHost[] {
  return getResults(answer(readSample(file)), "IPHost", URL).map((n) => ipHostFromNode(n, URL));
}
function sample(file: string, fn: () => void): void {
  covered.add(file);
  test(file, fn);
}
function fromJson(file: string): string {
  const doc = JSON.parse(readSample(file)) as { api_response: { Response: unknown } };
  return xmltodictToXml("Response", doc.api_response.Response);
}

describe("real answers (sophos-samples)", () => {
  sample("01_get_iphost_all_v1702_demisto.xml", () => {
    const all = hosts("01_get_iphost_all_v1702_demisto.xml");
    assert.equal(all.length, 10);
    assert.deepEqual(all.filter((h) => h.hostType === "System Host").length, 8);
    assert.deepEqual(
      all.find((h) => h.name === "iphost1"),
      { name: "iphost1", ipFamily: "IPv4", hostType: "IP", ipAddress: "2.2.2.2", hostGroups: ["ip_hosts"] },
    );
    assert.deepEqual(
      all.find((h) => h.name === "##ALL_RW6"),
      {
        name: "##ALL_RW6",
        ipFamily: "IPv6",
        hostType: "System Host",
        hostGroups: [],
      },
    );
  });

  sample("02_set_iphost_success_v1702_demisto.xml", () => {
    const outcomes = writeOutcomes(
      answer(readSample("02_set_iphost_success_v1702_demisto.xml")),
      "IPHost",
      ["h1"],
      URL,
      "writing",
    );
    assert.deepEqual(outcomes, [
      { name: "h1", ok: true, kind: "ok", code: 200, text: "Configuration applied successfully." },
    ]);
  });

  sample("03_get_iphostgroup_all_v1702_demisto.xml", () => {
    const response = answer(readSample("03_get_iphostgroup_all_v1702_demisto.xml"));
    const groups = getResults(response, "IPHostGroup", URL).map((n) => ipHostGroupFromNode(n, URL));
    // <Description/> means no description; a group without <HostList> has no members.
    assert.deepEqual(groups, [
      { name: "ip_hosts", ipFamily: "IPv4", hosts: ["iphost1"] },
      { name: "forunitest2", ipFamily: "IPv4", hosts: [] },
    ]);
  });

  sample("04_set_iphostgroup_success_v1702_demisto.xml", () => {
    const response = answer(readSample("04_set_iphostgroup_success_v1702_demisto.xml"));
    const [outcome] = writeOutcomes(response, "IPHostGroup", ["g"], URL, "writing");
    assert.equal(outcome?.ok, true);
    assert.equal(outcome?.code, 200);
  });

  sample("05_get_iphost_filtered_single_v1905_sophos_sdk_test.xml", () => {
    assert.deepEqual(hosts("05_get_iphost_filtered_single_v1905_sophos_sdk_test.xml"), [
      { name: "TEST1", ipFamily: "IPv4", hostType: "IP", ipAddress: "10.1.1.1", hostGroups: [] },
    ]);
  });

  sample("06_get_iphost_two_records_v1905_sophos_sdk_test.xml", () => {
    const two = hosts("06_get_iphost_two_records_v1905_sophos_sdk_test.xml");
    assert.deepEqual(
      two.map((h) => [h.name, h.ipAddress]),
      [
        ["TEST1", "10.1.1.1"],
        ["TEST2", "10.1.1.2"],
      ],
    );
  });

  sample("07_get_iphost_zero_records_NumberOf_v1905_sophos_sdk_test.xml", () => {
    // Older wording, no code attribute: an empty result, not an error.
    assert.deepEqual(hosts("07_get_iphost_zero_records_NumberOf_v1905_sophos_sdk_test.xml"), []);
  });

  sample("08_get_iphost_zero_records_NoOf_v2200_janweis.xml", () => {
    assert.deepEqual(hosts("08_get_iphost_zero_records_NoOf_v2200_janweis.xml"), []);
  });

  sample("09_login_only_success_v2000_sophos_sdk_test.xml", () => {
    const response = answer(readSample("09_login_only_success_v2000_sophos_sdk_test.xml"));
    assert.equal(response.loginStatus, "Authentication Successful");
    assert.equal(response.apiVersion, "2000.1");
    assert.deepEqual(response.entities, []);
  });

  sample("10_login_auth_failure_v1905_sophos_sdk_test.xml", () => {
    assert.throws(
      () => answer(readSample("10_login_auth_failure_v1905_sophos_sdk_test.xml")),
      (e: unknown) =>
        e instanceof AuthenticationError && e.firewallText === "Authentication Failure" && !!e.hint,
    );
  });

  sample("11_set_firewallrule_502_duplicate_name_v1905_sophos_sdk_test.xml", () => {
    const response = answer(readSample("11_set_firewallrule_502_duplicate_name_v1905_sophos_sdk_test.xml"));
    const [outcome] = writeOutcomes(response, "FirewallRule", ["rule"], URL, "writing");
    assert.equal(outcome?.ok, false);
    assert.equal(outcome?.code, 502);
    assert.ok(outcome?.error instanceof SophosApiError);
    assert.equal(outcome.error.code, 502);
    assert.equal(outcome.error.entity, "FirewallRule");
    assert.equal(outcome.error.firewallText, "Operation failed. Entity having same name already exists.");
  });

  sample("12_remove_iphost_success_v2000_sophos_sdk_test.xml", () => {
    const response = answer(readSample("12_remove_iphost_success_v2000_sophos_sdk_test.xml"));
    assert.deepEqual(writeOutcomes(response, "IPHost", ["h"], URL, "removing"), [
      { name: "h", ok: true, kind: "ok", code: 200, text: "Configuration applied successfully." },
    ]);
  });

  sample("13_remove_iphost_nonexistent_528_janweis_livemeasured.xml", () => {
    const response = answer(readSample("13_remove_iphost_nonexistent_528_janweis_livemeasured.xml"));
    const [outcome] = writeOutcomes(response, "IPHost", ["gone"], URL, "removing");
    assert.equal(outcome?.ok, false);
    assert.equal(outcome?.code, 528);
    assert.equal(outcome?.error?.code, 528);
  });

  sample("14_request_invalid_529_janweis.xml", () => {
    assert.throws(
      () => answer(readSample("14_request_invalid_529_janweis.xml")),
      (e: unknown) =>
        e instanceof RequestInvalidError &&
        e.code === 529 &&
        e.firewallText === "Input request file is Invalid",
    );
  });

  sample("15_get_filtered_transaction_fail_v2200_janweis.xml", () => {
    const response = answer(readSample("15_get_filtered_transaction_fail_v2200_janweis.xml"));
    // Code-less "Transaction fail" is an error, never "no records".
    assert.throws(
      () => getResults(response, "ContentConditionList", URL),
      (e: unknown) =>
        e instanceof TransactionFailError && e.code === undefined && e.entity === "ContentConditionList",
    );
  });

  sample("16_ip_not_allowed_534_THIRDPARTY_MOCK.xml", () => {
    assert.throws(
      () => answer(readSample("16_ip_not_allowed_534_THIRDPARTY_MOCK.xml")),
      (e: unknown) => e instanceof CallerNotAllowedError && e.code === 534 && /allowed IP/.test(e.hint ?? ""),
    );
  });

  sample("17_bulk_remove_mixed_status_THIRDPARTY_MOCK.xml", () => {
    // One element with one <Status> per name, mapped to the names in order. (No Login block: tolerated.)
    const response = answer(readSample("17_bulk_remove_mixed_status_THIRDPARTY_MOCK.xml"));
    const outcomes = writeOutcomes(response, "FQDNHost", ["a", "b"], URL, "removing");
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.ok, o.code, o.text]),
      [
        ["a", true, 200, "OK"],
        ["b", false, 526, "Record does not exist."],
      ],
    );
  });

  sample("18_set_iphost_success_v2000_2_ansible_tutorial_xmltodict.json", () => {
    // The JSON is xmltodict's view of the answer; the XML is rebuilt from it (IS_WIFI6 attribute, Login after IPHost).
    const response = answer(fromJson("18_set_iphost_success_v2000_2_ansible_tutorial_xmltodict.json"));
    assert.equal(response.apiVersion, "2000.2");
    assert.deepEqual(writeOutcomes(response, "IPHost", ["h"], URL, "writing"), [
      { name: "h", ok: true, kind: "ok", code: 200, text: "Configuration applied successfully." },
    ]);
  });

  sample("19_get_iphost_v2000_2_ansible_tutorial_xmltodict.json", () => {
    // Description null = an empty <Description/>; children in alphabetical order (order must not matter).
    const response = answer(fromJson("19_get_iphost_v2000_2_ansible_tutorial_xmltodict.json"));
    const result = getResults(response, "IPHost", URL).map((n) => ipHostFromNode(n, URL));
    assert.deepEqual(result, [
      { name: "testhost", ipFamily: "IPv4", hostType: "IP", ipAddress: "1.1.1.1", hostGroups: [] },
    ]);
  });

  sample("20_request_invalid_529_sdk_issue101_xmltodict.txt", () => {
    // The Python repr of the answer: a bare <Response><Status code="529"> without attributes.
    const dict = pythonDict(readSample("20_request_invalid_529_sdk_issue101_xmltodict.txt"));
    assert.throws(
      () => answer(xmltodictToXml("Response", dict.Response)),
      (e: unknown) => e instanceof RequestInvalidError && e.code === 529,
    );
  });

  sample("21_set_iphost_502_duplicate_sdk_docs_xmltodict.txt", () => {
    // The repr is the IPHost element only; it is put back into a Response with a successful Login.
    const entity = pythonDict(readSample("21_set_iphost_502_duplicate_sdk_docs_xmltodict.txt"));
    const xml = `<Response><Login><status>Authentication Successful</status></Login>${xmltodictToXml("IPHost", entity)}</Response>`;
    const [outcome] = writeOutcomes(answer(xml), "IPHost", ["dup"], URL, "writing");
    assert.equal(outcome?.ok, false);
    assert.equal(outcome?.code, 502);
    assert.equal(outcome?.text, "Operation failed. Entity having same name already exists.");
  });

  sample("22_set_fqdnhost_success_v2000_2_sdk_pr65_xmltodict.txt", () => {
    const dict = pythonDict(readSample("22_set_fqdnhost_success_v2000_2_sdk_pr65_xmltodict.txt"));
    const response = answer(xmltodictToXml("Response", dict.Response));
    const [outcome] = writeOutcomes(response, "FQDNHost", ["f"], URL, "writing");
    assert.equal(outcome?.ok, true);
  });

  const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: true, commentPropName: "#comment" });
  function childTags(xml: string): string[] {
    const doc = ordered.parse(xml) as Record<string, unknown>[];
    const root = doc.find((n) => !("#text" in n) && !("#comment" in n)) ?? {};
    const children = Object.values(root)[0] as Record<string, unknown>[];
    return children.map((c) => Object.keys(c)[0] ?? "").filter((t) => t !== "#text" && t !== "#comment");
  }
  function isSubsequence(part: string[], whole: string[]): boolean {
    let i = 0;
    for (const tag of whole) if (tag === part[i]) i++;
    return i === part.length;
  }

  sample("REQ_official_api_help_v17_IPHost_sample_configuration.xml", () => {
    // Our IPHost for each type uses the skeleton's elements in the skeleton's order
    // (Description comes from the 2025 help, which the v17 skeleton predates).
    const skeleton = childTags(readSample("REQ_official_api_help_v17_IPHost_sample_configuration.xml"));
    const base = { name: "n", ipFamily: "IPv4" as const, hostGroups: ["g1", "g2"] };
    const variants: IpHost[] = [
      { ...base, hostType: "IP", ipAddress: "1.1.1.1" },
      { ...base, hostType: "Network", ipAddress: "1.1.1.0", subnet: "255.255.255.0" },
      { ...base, hostType: "IPRange", startIpAddress: "1.1.1.1", endIpAddress: "1.1.1.9" },
      { ...base, hostType: "IPList", listOfIpAddresses: ["1.1.1.1", "2.2.2.2"] },
    ];
    for (const host of variants) {
      const ours = childTags(ipHostXml(host, 0));
      assert.ok(
        isSubsequence(ours, skeleton),
        `${host.hostType}: ${ours.join(",")} vs ${skeleton.join(",")}`,
      );
      assert.equal(ours.at(-1), "HostGroupList");
    }
    assert.match(ipHostXml(variants[3]!, 0), /<ListOfIPAddresses>1\.1\.1\.1,2\.2\.2\.2<\/ListOfIPAddresses>/);
    assert.match(
      ipHostXml(variants[0]!, 0),
      /<HostGroupList><HostGroup>g1<\/HostGroup><HostGroup>g2<\/HostGroup><\/HostGroupList>/,
    );
  });

  sample("REQ_official_api_help_v17_IPHostGroup_sample_configuration.xml", () => {
    const skeleton = childTags(readSample("REQ_official_api_help_v17_IPHostGroup_sample_configuration.xml"));
    const xml = ipHostGroupXml({ name: "g", ipFamily: "IPv6", description: "d", hosts: ["a", "b"] }, 0);
    assert.deepEqual(childTags(xml), skeleton);
    assert.match(xml, /<HostList><Host>a<\/Host><Host>b<\/Host><\/HostList>/);
  });

  test("every sample file has its own test", () => {
    assert.deepEqual(
      sampleFiles().filter((f) => !covered.has(f)),
      [],
    );
  });
});
