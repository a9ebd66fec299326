// A hospital EMR's session against the gateway's /fhir/ endpoint, played by fhir-kit-client (a FHIR client
// nobody here wrote): read the CapabilityStatement, search free slots, book, read back, cancel, and see the
// waiting patient promoted. Prints one JSON line of what it saw; exits non-zero on any surprise.
//
// usage: node session.mjs <fhir base url> <doctor id> <date> <booking key> <staff key>
import { Client } from 'fhir-kit-client';

const [baseUrl, doctorId, date, bookingKey, staffKey] = process.argv.slice(2);
const patientApp = new Client({ baseUrl, customHeaders: { 'X-API-Key': bookingKey } });
const desk = new Client({ baseUrl, customHeaders: { 'X-API-Key': staffKey } });
const seen = {};

function check(condition, what) {
  if (!condition) throw new Error(`unexpected: ${what}`);
}

function booking(slot, name) {
  return {
    resourceType: 'Appointment',
    status: 'booked',
    extension: [{ url: 'urn:opd:fhir:extension:token-source', valueCode: 'online' }],
    slot: [{ reference: `Slot/${slot.id}` }],
    participant: [
      {
        actor: { type: 'Patient', display: name },
        extension: [{ url: 'urn:opd:fhir:extension:patient-age', valueInteger: 41 }],
        status: 'accepted',
      },
      { actor: { reference: `Practitioner/${doctorId}` }, status: 'accepted' },
    ],
  };
}

const codeOf = (appointment) =>
  appointment.extension.find((e) => e.url === 'urn:opd:fhir:extension:cancel-code').valueString;

async function main() {
  const capability = await patientApp.capabilityStatement();
  const slotSupport = capability.rest[0].resource.find((r) => r.type === 'Slot');
  check(capability.fhirVersion === '4.0.1' && slotSupport, 'a CapabilityStatement for R4 with Slot');
  seen.capability = capability.rest[0].resource.map((r) => r.type);

  const free = await patientApp.search({
    resourceType: 'Slot',
    searchParams: { schedule: `Schedule/${doctorId}`, start: date, status: 'free', _count: 1 },
  });
  check(free.entry.length === 1 && free.total >= 2, 'two free slots, one per page');
  const second = await patientApp.nextPage({ bundle: free });
  check(second.entry[0].resource.id !== free.entry[0].resource.id, 'the next page holds the next slot');
  const slot = free.entry[0].resource;
  seen.freeSlots = free.total;

  const booked = await patientApp.create({ resourceType: 'Appointment', body: booking(slot, 'Kit Client') });
  check(booked.status === 'booked', `a booked appointment, not ${booked.status}`);
  const code = codeOf(booked);
  const waiting = await patientApp.create({ resourceType: 'Appointment', body: booking(slot, 'Waiting Patient') });
  check(waiting.status === 'waitlist', `the second patient waitlisted, not ${waiting.status}`);
  seen.booked = booked.status;
  seen.waiting = waiting.status;

  const readBack = await patientApp.read({
    resourceType: 'Appointment',
    id: booked.id,
    options: { headers: { 'X-Cancel-Code': code } },
  });
  check(readBack.id === booked.id && readBack.identifier[0].value === booked.identifier[0].value, 'the same token');
  const full = await patientApp.read({ resourceType: 'Slot', id: slot.id });
  seen.slotAfterBooking = full.status;

  try {
    await patientApp.read({ resourceType: 'Appointment', id: waiting.id });
    throw new Error('unexpected: another patient read without a cancel code');
  } catch (error) {
    check(error.response?.status === 403, `403 without the code, not ${error.response?.status}`);
    seen.withoutCode = error.response.data.issue[0].details.coding[0].code;
  }

  const cancelled = await patientApp.patch({
    resourceType: 'Appointment',
    id: booked.id,
    jsonPatch: [{ op: 'replace', path: '/status', value: 'cancelled' }],
    options: { headers: { 'X-Cancel-Code': code } },
  });
  check(cancelled.status === 'cancelled', `cancelled, not ${cancelled.status}`);
  seen.cancelled = cancelled.status;

  const day = await desk.search({
    resourceType: 'Appointment',
    searchParams: { practitioner: `Practitioner/${doctorId}`, date, status: 'booked' },
  });
  const promoted = day.entry.map((e) => e.resource).find((a) => a.id === waiting.id);
  check(promoted && promoted.status === 'booked', 'the waiting patient promoted to booked');
  seen.promoted = promoted.participant[0].actor.display;
  console.log(JSON.stringify(seen));
}

main().catch((error) => {
  console.error(error.stack || error);
  if (error.response) console.error(JSON.stringify(error.response.data));
  process.exit(1);
});
