// The practice phone: this page does what Twilio does on a real call. It asks the helpline's
// webhooks for TwiML (through /phone/bridge, which signs each request), plays each <Play> and
// speaks each <Say>, listens during <Gather> with its real timeout, and follows <Redirect>,
// <Dial>, <Enqueue> (a queue, waited in as Twilio does), <Record> and <Hangup>. Everything shown
// in the transcript comes from those answers.
//
// A call keeps simulated time as well (`clock`): what it would have taken on a phone, pauses and
// silences counted in full even when skipped. A queue's QueueTime is measured in it, so Skip, or
// a lasting silence in the keys to press (".5m"), moves a wait on.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const config = JSON.parse($("phone-config").textContent);
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const ui = {
    form: $("call-form"), call: $("call"), start: $("start"), keys: $("keys"),
    phone: $("phone"), keypad: $("keypad"), status: $("status"), countdown: $("countdown"),
    now: $("now"),
    skip: $("skip"), speaker: $("speaker"), transcript: $("transcript"),
    speech: $("speech-form"), words: $("words"), listen: $("listen"), share: $("share"),
    copy: $("copy"), place: $("place"),
  };
  const KEY_NAMES = { "*": "star", "#": "hash" };
  const MAX_REQUESTS = 500;
  const MAX_REDIRECTS = 20;
  const RING_SECONDS = 2; // a short ring: the tester chose the outcome already
  const MAX_WAIT_TURNS = 200; // wait documents in one queue: more is a wait that never ends
  const STAND_IN_SECONDS = 12; // a message left by a scripted key instead of words
  const SILENT_FOR = /^\.([0-9]{1,4})([sm])$/; // a lasting silence in the keys to press
  const ANY_KEY = "1234567890*#"; // Twilio's finishOnKey for a <Record>

  let call = null; // the call in progress, if any

  const words = (text) => text.split(/\s+/).filter(Boolean).length;
  const normalise = (text) => text.replace(/\s+/g, " ").trim();
  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  const isKeys = (token) => /^[0-9*#]+$/.test(token);
  const waited = (seconds) => (seconds < 60 ? `${Math.floor(seconds)} s` : `${Math.floor(seconds / 60)} min`);
  // A Twilio sid made here: a queue's, a recording's ("QU" or "RE" and 32 hex digits).
  const newTwilioSid = (prefix) => prefix + Array.from(
    crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  // Who a number belongs to, where the page knows; else only its last digits (a nurse's number
  // is never shown in full).
  const nameOf = (number) => config.names[number]
    || (number.startsWith("+") ? `the number ending ${number.slice(-3)}` : number);

  // POST to the phone's own server, with the page's CSRF token; the JSON answer.
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const text = await response.text();
      let reason = normalise(text.replace(/<[^>]*>/g, " "));
      try { reason = JSON.parse(text).error || reason; } catch { /* an HTML error page */ }
      throw new Error(`the phone's server answered HTTP ${response.status}: ${reason.slice(0, 200)}`);
    }
    return response.json();
  }

  // CallSids come from the server, which marks them as practice calls' own.
  async function newSid() {
    return (await post(config.sid, {})).sid;
  }

  function setStatus(text) {
    if (ui.status.textContent !== text) ui.status.textContent = text;
  }

  // --- the transcript ----------------------------------------------------------------------

  // A line as the server writes its own (ivr/practice/lines.py): the page's config holds them
  // all, by id, as [kind, label, words], with {field}s for this to fill.
  function lineOf(id, values = {}) {
    const [kind, who, text] = config.lines[id];
    const all = values.name === undefined ? values : { ...values, Name: capital(values.name) };
    const fill = (template) => template.replace(/\{(\w+)\}/g, (_, field) => all[field] ?? "");
    return [kind, fill(who), fill(text)];
  }

  function addLine(kind, who, text, request) {
    const item = document.createElement("li");
    item.className = kind;
    if (request !== undefined) item.dataset.request = String(request);
    if (who) {
      const label = document.createElement("span");
      label.className = "who";
      label.textContent = who;
      item.append(label, " ");
    }
    item.append(text);
    ui.transcript.append(item);
    // The words playing now, by the keypad: on a small screen the transcript is far below.
    if (kind === "heard" || kind === "transfer") ui.now.textContent = text;
    // Keep the newest line in sight where the transcript scrolls on its own (wide screens),
    // without pulling a small screen's page away from the keypad.
    const log = ui.transcript.parentElement;
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function dialOutcome() {
    const chosen = ui.form.querySelector('input[name="dial"]:checked');
    return chosen ? chosen.value : "answered";
  }

  function queuePlace() {
    return parseInt(ui.place.value, 10) || 1;
  }

  // --- one prompt at a time, which a key (barge-in), Skip or hanging up can stop --------------

  class Prompt {
    constructor() {
      this.stopped = false;
      this.done = new Promise((resolve) => { this.finish = resolve; });
      this.onStop = () => {};
    }
    stop() {
      if (this.stopped) return;
      this.stopped = true;
      this.onStop();
      this.finish();
    }
  }

  // Where speech synthesis is missing or silent (no voices), wait about as long as speaking takes.
  function estimateMs(text, rate) {
    return Math.max(1200, (words(text) / (2.5 * rate)) * 1000);
  }

  function speak(prompt, text, rate) {
    const synth = window.speechSynthesis;
    const speaking = Boolean(synth && synth.getVoices().length);
    // Speaking ends with its own event; the timer only stops a voice that never finishes.
    const limit = estimateMs(text, rate) * (speaking ? 1.6 : 1) + 500;
    const timer = setTimeout(() => prompt.stop(), limit);
    prompt.done.then(() => clearTimeout(timer));
    if (!speaking) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "en-GB";
    utterance.rate = rate;
    const voice = synth.getVoices().find((v) => v.lang === "en-GB");
    if (voice) utterance.voice = voice;
    utterance.onend = () => prompt.stop();
    utterance.onerror = () => prompt.stop();
    prompt.onStop = () => synth.cancel();
    synth.speak(utterance);
  }

  function playAudio(prompt, src, caption) {
    const speaker = ui.speaker;
    const fallback = () => {
      if (!prompt.stopped) setTimeout(() => prompt.stop(), estimateMs(caption, 1));
    };
    let stalled = null;
    speaker.onended = () => prompt.stop();
    speaker.onerror = fallback;
    // A recording that stops arriving must not hold the call for ever: allow its length and a bit.
    speaker.onloadedmetadata = () => {
      stalled = setTimeout(() => prompt.stop(), (speaker.duration + 5) * 1000);
    };
    prompt.onStop = () => {
      clearTimeout(stalled);
      speaker.onended = speaker.onerror = speaker.onloadedmetadata = null;
      speaker.pause();
    };
    speaker.src = src;
    speaker.play().catch(fallback); // autoplay refused or no audio device: time it instead
  }

  // --- one call -------------------------------------------------------------------------------

  class Call {
    constructor(startPath, script, startCode) {
      this.sid = null;
      this.closed = false;
      this.startCode = startCode;
      this.script = script; // tokens to press for the tester (a shared call), in order
      this.inputs = []; // what the tester gave each Gather, for the share link
      this.first = true;
      this.ended = false;
      this.requests = 0;
      this.redirects = 0;
      this.began = Date.now();
      this.prompt = null;
      this.gather = null;
      this.startUrl = new URL(startPath, location.href).href;
      this.clock = 0; // simulated seconds (see the top of this file)
      this.silentUntil = 0; // a lasting silence from the keys to press holds until then
      this.waiting = null; // the queue the caller is in, if any
      this.recording = null; // the message being recorded, if any
    }

    // Fast-forwarding: a lasting silence from the keys to press is running.
    get silent() {
      return this.clock < this.silentUntil;
    }

    async run() {
      let next = { url: this.startUrl, method: "POST", inputs: {} };
      try {
        this.sid = await newSid();
        while (next && !this.ended) {
          const answer = await this.fetch(next);
          if (next.afterwards) await next.afterwards(); // a callback due after this request
          if (this.ended) break; // hung up while the helpline was answering
          if (!answer) { await this.end("error"); break; }
          next = await this.document(answer);
        }
      } catch (error) {
        if (!this.ended) {
          this.problem(`The phone stopped: ${error.message}`);
          await this.end("error");
        }
      }
    }

    // A line in the transcript, unless this call is over (a late answer must not reach the
    // transcript of the next call).
    line(id, values, request) {
      return this.closed ? null : addLine(...lineOf(id, values), request);
    }

    problem(text) {
      this.line("problem", { text });
    }

    async bridge(next, extra = {}) {
      const first = this.first;
      this.first = false;
      return post(config.bridge, {
        url: next.url, method: next.method, inputs: next.inputs,
        callSid: this.sid, first, ...extra,
      });
    }

    // Ask for TwiML; null (after saying why) when Twilio could not have used the answer.
    async fetch(next, extra = {}) {
      if (++this.requests > MAX_REQUESTS) {
        this.problem(`stopped after ${MAX_REQUESTS} requests`);
        return null;
      }
      const answer = await this.bridge(next, extra);
      const number = this.requests;
      const type = answer.contentType.split(";")[0].trim();
      if (answer.status !== 200 || type !== "text/xml") {
        this.problem(`${next.url} answered HTTP ${answer.status}, ${type || "no Content-Type"}`);
        return null;
      }
      const parsed = new DOMParser().parseFromString(answer.twiml, "text/xml");
      const broken = parsed.getElementsByTagName("parsererror").length > 0;
      if (broken || !answer.twiml.startsWith("<?xml")) {
        this.problem(`${next.url} answered TwiML that does not parse`);
        return null;
      }
      const root = parsed.documentElement;
      if (root.nodeName !== "Response") {
        this.problem(`${next.url} answered <${root.nodeName}>, not <Response>`);
        return null;
      }
      if (answer.wouldSend) this.line("text", { text: answer.wouldSend }, number);
      return { root, url: answer.url, captions: answer.captions, number };
    }

    async document(answer) {
      for (const verb of answer.root.children) {
        const next = await this.verb(verb, answer);
        if (next || this.ended) return next;
      }
      this.problem("The helpline's answer ran out without hanging up.");
      await this.end("fell-off-end");
      return null;
    }

    async verb(verb, answer) {
      switch (verb.nodeName) {
        case "Say": return this.say(verb, answer);
        case "Play": return this.play(verb, answer);
        case "Pause": return this.pause(verb);
        case "Gather": return this.listen(verb, answer);
        case "Redirect": return this.redirect(verb, answer);
        case "Dial": return this.dial(verb, answer);
        case "Enqueue": return this.enqueue(verb, answer);
        case "Record": return this.record(verb, answer);
        case "Hangup":
          this.line("hangup");
          await this.end("hangup");
          return null;
        case "Reject":
          this.line("reject");
          // Twilio reports a rejected call as busy, or as not answered.
          await this.end("reject", verb.getAttribute("reason") === "busy" ? "busy" : "no-answer");
          return null;
        default:
          this.problem(`Twilio cannot run <${verb.nodeName}>: "an application error has occurred".`);
          await this.end("error");
          return null;
      }
    }

    async perform(start) {
      if (this.ended || (this.gather && this.gather.settled)) return null;
      const prompt = new Prompt();
      this.prompt = prompt;
      start(prompt);
      await prompt.done;
      if (this.prompt === prompt) this.prompt = null;
      return null;
    }

    say(verb, answer) {
      const text = normalise(verb.textContent);
      const prosody = verb.querySelector("prosody");
      const rate = prosody ? parseFloat(prosody.getAttribute("rate")) / 100 || 1 : 1;
      this.clock += 1 + words(text) / 2.5;
      return this.perform((prompt) => {
        this.line("say", { text }, answer.number);
        setStatus("The helpline is speaking.");
        speak(prompt, text, rate);
      });
    }

    play(verb, answer) {
      // A relative recording is on this server, which the page may reach by another name than
      // the public address Twilio would use (a tunnel, a proxy): fetch it from here.
      const src = new URL(normalise(verb.textContent), location.href).href;
      const caption = answer.captions[normalise(verb.textContent)] || config.uncaptioned;
      this.clock += 10;
      return this.perform((prompt) => {
        const line = this.line("play", { caption }, answer.number);
        line.dataset.audio = src;
        setStatus("The helpline is speaking.");
        playAudio(prompt, src, caption);
      });
    }

    pause(verb) {
      const seconds = parseFloat(verb.getAttribute("length") || "1");
      this.clock += seconds;
      if (this.silent) return null; // fast-forwarding through a lasting silence
      return this.perform((prompt) => { setTimeout(() => prompt.stop(), seconds * 1000); });
    }

    redirect(verb, answer) {
      if (++this.redirects > MAX_REDIRECTS) {
        this.problem(`more than ${MAX_REDIRECTS} Redirects without a Gather`);
        return this.end("error").then(() => null);
      }
      const target = normalise(verb.textContent);
      if (!target) {
        this.problem("<Redirect> without a URL");
        return this.end("error").then(() => null);
      }
      const url = new URL(target, answer.url).href;
      return { url, method: (verb.getAttribute("method") || "POST").toUpperCase(), inputs: {} };
    }

    // <Gather>: play its prompts while listening; a key stops them (barge-in). When they end,
    // wait `timeout` seconds (the countdown); silence falls through to the next verb.
    async listen(verb, answer) {
      if (this.ended) return null;
      this.redirects = 0;
      const gather = new Listening(this, verb, answer);
      this.gather = gather;
      const silent = this.replayNext(gather);
      for (const child of verb.children) {
        if (gather.settled || gather.interrupted || this.ended) break;
        await this.verb(child, answer);
      }
      if (!gather.settled && !gather.interrupted && !this.ended) {
        if (silent) gather.silence(); // a scripted silence: the prompts played, nothing said
        else gather.startCountdown();
      }
      const next = await gather.result;
      if (this.gather === gather) this.gather = null;
      return next;
    }

    // A shared call: give the next scripted input as soon as the Gather starts (keys and words
    // cut its prompts short, as on a call); true for a silence, which lets them play out first.
    replayNext(gather) {
      const token = this.nextScripted();
      if (token === null || token === ".") return token === ".";
      setTimeout(() => {
        if (gather.settled || this.ended) return;
        if (isKeys(token)) for (const key of token) this.press(key);
        else this.sayWords(token);
      }, 0);
      return false;
    }

    // The next input from the keys to press: a token, "." for silence, or null when there is
    // none (the tester is asked). A lasting silence (".5m") answers "." until it has passed.
    nextScripted() {
      if (this.silent) return ".";
      if (!this.script.length) return null;
      const token = this.script.shift();
      const lasting = SILENT_FOR.exec(token);
      if (lasting) {
        this.silentUntil = this.clock + parseInt(lasting[1], 10) * (lasting[2] === "m" ? 60 : 1);
        this.remember(token);
        return ".";
      }
      return token === "" ? "." : token;
    }

    // <Dial>: ring every number at once; the tester's outcome is what the first one does. The
    // others stop ringing when it answers ("canceled"), or did not answer either; each leg with
    // a statusCallback is reported when it ends, as Twilio does, before the Dial's action.
    async dial(verb, answer) {
      const nouns = Array.from(verb.children);
      const numbers = nouns.length ? nouns.map((c) => normalise(c.textContent)) : [normalise(verb.textContent)];
      if (!numbers.every(Boolean)) {
        this.problem("<Dial> without a number");
        await this.end("error");
        return null;
      }
      const number = numbers[0];
      const name = nameOf(number);
      const whisper = nouns.length && nouns[0].getAttribute("url") ? nouns[0] : null;
      let outcome = dialOutcome();
      this.line("ringing", { name: numbers.map(nameOf).join(", ") }, answer.number);
      setStatus(`Ringing ${name}.`);
      await this.perform((prompt) => { setTimeout(() => prompt.stop(), RING_SECONDS * 1000); });
      if (this.ended) return null;
      const legSids = [];
      for (let i = 0; i < numbers.length; i++) legSids.push(await newSid());
      const inputs = { DialCallStatus: config.dialStatus[outcome], DialCallSid: legSids[0] };
      let bridged = false;
      if (outcome === "answered" || outcome === "declined") {
        bridged = true;
        if (whisper) {
          const url = new URL(whisper.getAttribute("url"), answer.url).href;
          const method = whisper.getAttribute("method");
          bridged = await this.whisper(url, method, number, name, legSids[0], outcome === "answered");
          if (this.ended) return null; // hung up while the nurse heard the whisper
        }
        inputs.DialBridged = bridged ? "true" : "false";
        if (bridged) {
          inputs.DialCallDuration = "60";
          this.clock += 60;
          this.line("through", { name });
        } else {
          outcome = "declined";
          this.line("not-taken", { name });
        }
      } else {
        this.clock += parseFloat(verb.getAttribute("timeout") || "30");
        this.line(outcome, { name }); // busy, no-answer or failed
      }
      const first = outcome === "answered" || outcome === "declined" ? "completed" : config.dialStatus[outcome];
      for (let i = 0; i < nouns.length; i++) {
        const status = i === 0 ? first : first === "completed" ? "canceled" : first;
        const seconds = i === 0 && bridged ? 60 : 0;
        await this.legEnded(nouns[i], answer, numbers[i], legSids[i], status, seconds);
      }
      const action = verb.getAttribute("action");
      if (action) {
        const method = (verb.getAttribute("method") || "POST").toUpperCase();
        return { url: new URL(action, answer.url).href, method, inputs };
      }
      if (bridged) await this.end("dial-answered");
      return null;
    }

    // Tell a leg's statusCallback that it has ended, as the leg's own call.
    async legEnded(noun, answer, number, sid, status, seconds) {
      const callback = noun.getAttribute("statusCallback");
      const events = (noun.getAttribute("statusCallbackEvent") || "completed").split(/[\s,]+/);
      if (!callback || !events.includes("completed") || this.ended) return;
      const method = (noun.getAttribute("statusCallbackMethod") || "POST").toUpperCase();
      const inputs = { CallStatus: status, CallDuration: String(seconds) };
      await this.notify({ url: new URL(callback, answer.url).href, method, inputs },
        { leg: "answerer", to: number, dialCallSid: sid }, "the leg's status callback");
    }

    // A callback whose answer Twilio ignores; a refusal is shown. It is numbered like every
    // request, so each caption's request number is its place among the bridge's requests.
    async notify(next, extra, what) {
      ++this.requests;
      const answer = await this.bridge(next, extra);
      if (answer.status !== 200 && answer.status !== 204) {
        this.problem(`${what} (${next.url}) answered HTTP ${answer.status}`);
      }
    }

    // <Enqueue>: wait in the queue until the helpline lets the caller go; then its action.
    async enqueue(verb, answer) {
      if (!verb.getAttribute("waitUrl")) {
        this.problem("<Enqueue> without a waitUrl: the caller would hear music for ever");
        await this.end("error");
        return null;
      }
      const queue = new Queue(this, verb, answer);
      this.waiting = queue;
      this.line("queue", { text: queue.name, place: String(queue.place()) }, answer.number);
      let how = null;
      try {
        how = await queue.wait();
      } finally {
        if (this.waiting === queue) this.waiting = null;
      }
      return how === null ? null : queue.left(how);
    }

    // <Record>: the tester's message, then the action (and after it the recording's status
    // callback); with nothing recorded, the document goes on to the next verb, as on Twilio.
    async record(verb, answer) {
      const attribute = (name, otherwise) => verb.getAttribute(name) ?? otherwise;
      const action = new URL(attribute("action", answer.url), answer.url).href;
      const options = {
        maxLength: parseInt(attribute("maxLength", "3600"), 10) || 3600,
        finish: attribute("finishOnKey", ANY_KEY),
        timeout: parseFloat(attribute("timeout", "5")) || 5,
        beep: attribute("playBeep", "true") !== "false",
      };
      this.line("record", { text: `${options.maxLength} s` }, answer.number);
      const recording = new Recording(this, options);
      this.recording = recording;
      const message = await recording.take();
      if (this.recording === recording) this.recording = null;
      if (this.ended) return null;
      if (!message) {
        this.clock += options.timeout;
        this.line("not-recorded");
        return null;
      }
      this.clock += message.seconds;
      const finished = message.key ? `, then pressed ${KEY_NAMES[message.key] || message.key}` : "";
      const values = { duration: String(message.seconds), finished, text: message.words };
      const line = this.line(message.audio ? "recorded-here" : message.words ? "recorded-words" : "recorded", values);
      if (line && message.audio) {
        const player = document.createElement("audio");
        player.controls = true;
        player.src = message.audio;
        player.setAttribute("aria-label", "Hear your message");
        line.append(player);
      }
      const recorded = { RecordingSid: newTwilioSid("RE"), RecordingDuration: String(message.seconds) };
      const inputs = message.key ? { ...recorded, Digits: message.key } : recorded;
      const next = { url: action, method: attribute("method", "POST").toUpperCase(), inputs };
      const callback = verb.getAttribute("recordingStatusCallback");
      const events = attribute("recordingStatusCallbackEvent", "completed").split(/[\s,]+/);
      if (callback && events.includes("completed")) {
        const method = attribute("recordingStatusCallbackMethod", "POST").toUpperCase();
        const url = new URL(callback, answer.url).href;
        // Twilio tells the status callback once the file is ready: after the action's request.
        next.afterwards = () => this.notify({ url, method, inputs: recorded }, { leg: "recording" },
          "the recording status callback");
      }
      return next;
    }

    // What the person answering hears from one verb: a <Say>'s words, a <Play>'s caption.
    heardIn(verb, answer) {
      const text = normalise(verb.textContent);
      if (verb.nodeName === "Say") return [text];
      if (verb.nodeName === "Play") return [answer.captions[text] || config.uncaptioned];
      if (verb.nodeName === "Gather") return Array.from(verb.children).flatMap((v) => this.heardIn(v, answer));
      return [];
    }

    // The person a transfer rings hears the whisper, and presses 1 to take the call (or not:
    // then its Gather times out and the whisper's document goes on, usually to a <Hangup>).
    async whisper(url, whisperMethod, number, name, dialCallSid, accept) {
      const extra = { leg: "answerer", to: number, dialCallSid };
      const show = (heard, answer) => {
        if (heard.length) this.line("whisper-to", { name, text: heard.join(" ") }, answer.number);
      };
      const method = (whisperMethod || "POST").toUpperCase();
      let answer = await this.fetch({ url, method, inputs: {} }, extra);
      for (let turn = 0; turn < 5 && answer && !this.ended; turn++) {
        const heard = [];
        let pressed = null;
        for (const verb of answer.root.children) {
          heard.push(...this.heardIn(verb, answer));
          if (verb.nodeName === "Hangup") { show(heard, answer); return false; }
          if (verb.nodeName === "Gather" && accept) { pressed = verb; break; }
        }
        show(heard, answer);
        if (!pressed) return true; // the whisper ran out without hanging up: put through
        this.line("takes-the-call", { name });
        const action = new URL(pressed.getAttribute("action") || url, answer.url).href;
        const method = (pressed.getAttribute("method") || "POST").toUpperCase();
        answer = await this.fetch({ url: action, method, inputs: { Digits: "1" } }, extra);
        if (answer && answer.root.children.length === 0) return true;
      }
      return false;
    }

    // --- what the tester does ---------------------------------------------------------------

    press(key) {
      this.line("keys", { text: KEY_NAMES[key] || key });
      if (this.recording) this.recording.key(key);
      else if (this.gather && !this.gather.settled) this.gather.key(key);
      else setStatus("Nothing is listening for keys just now.");
    }

    sayWords(text) {
      this.line("speech", { text });
      if (this.gather && !this.gather.settled) this.gather.speech(text);
      else setStatus("Nothing is listening just now.");
    }

    skip() {
      if (this.prompt) this.prompt.stop();
    }

    remember(token) {
      this.inputs.push(token);
      updateShare(this);
    }

    async hangUp() {
      if (this.ended) return;
      this.line("caller-hung-up");
      await this.end("caller-hung-up");
    }

    async end(how, callStatus = "completed") {
      if (this.ended) return;
      this.ended = true;
      if (this.prompt) this.prompt.stop();
      if (this.gather) this.gather.settle(null);
      if (this.recording) this.recording.settle(null);
      // Hanging up in a queue: Twilio still tells the queue's action (its answer is ignored).
      const left = this.waiting ? this.waiting.left("hangup") : null;
      this.waiting = null;
      const seconds = Math.round((Date.now() - this.began) / 1000);
      this.line("end");
      this.closed = true; // nothing more of this call reaches the transcript
      finished(this, how);
      if (!this.sid) return; // hung up before the call was placed
      try {
        if (left) await this.bridge(left);
        // Twilio tells the helpline the call is over, as the last request of every call.
        await this.bridge({
          url: new URL(config.status, this.startUrl).href, method: "POST",
          inputs: { CallStatus: callStatus, CallDuration: String(seconds) },
        });
      } catch (error) {
        if (call === null) addLine(...lineOf("problem", { text: `The status callback failed: ${error.message}` }));
      }
    }
  }

  // One <Gather> waiting for the caller.
  class Listening {
    constructor(call, verb, answer) {
      this.call = call;
      this.modes = (verb.getAttribute("input") || "dtmf").split(/\s+/);
      this.timeout = parseFloat(verb.getAttribute("timeout")) || 5; // Twilio's default
      this.numDigits = parseInt(verb.getAttribute("numDigits") || "0", 10);
      const finish = verb.getAttribute("finishOnKey");
      this.finishOnKey = finish === null ? "#" : finish;
      this.action = new URL(verb.getAttribute("action") || answer.url, answer.url).href;
      this.method = (verb.getAttribute("method") || "POST").toUpperCase();
      this.emptyAction = verb.getAttribute("actionOnEmptyResult") === "true";
      this.digits = "";
      this.interrupted = false;
      this.settled = false;
      this.timer = null;
      this.result = new Promise((resolve) => { this.resolve = resolve; });
    }

    settle(next) {
      if (this.settled) return;
      this.settled = true;
      this.stopCountdown();
      if (this.call.prompt) this.call.prompt.stop();
      this.resolve(next);
    }

    submit(inputs, token) {
      this.call.remember(token);
      this.settle({ url: this.action, method: this.method, inputs });
    }

    key(key) {
      if (!this.modes.includes("dtmf")) { setStatus("Keys are not listened for here."); return; }
      this.interrupted = true; // a key stops the prompts, as on a call
      if (this.call.prompt) this.call.prompt.stop();
      if (this.finishOnKey && key === this.finishOnKey) {
        if (this.digits) this.submit({ Digits: this.digits }, this.digits + key);
        else this.silence(); // only the finish key: the same as no input
        return;
      }
      this.digits += key;
      if (this.numDigits && this.digits.length >= this.numDigits) {
        this.submit({ Digits: this.digits }, this.digits);
      } else {
        this.startCountdown(); // Twilio waits `timeout` seconds for each further key
      }
    }

    speech(text) {
      if (!this.modes.includes("speech")) { setStatus("Words are not listened for here."); return; }
      this.submit({ SpeechResult: text, Confidence: "0.9" }, text);
    }

    // The timeout ran out (or the tester chose silence): keys so far are sent, else it falls through.
    silence() {
      if (this.settled) return;
      if (this.digits) { this.submit({ Digits: this.digits }, this.digits); return; }
      this.call.line("silence");
      if (!this.call.silent) this.call.remember("."); // a lasting silence is remembered whole
      this.call.clock += this.timeout;
      this.settle(this.emptyAction ? { url: this.action, method: this.method, inputs: {} } : null);
    }

    startCountdown() {
      this.stopCountdown();
      let left = this.timeout;
      const show = () => {
        ui.countdown.textContent = `Waiting for you: ${Math.ceil(left)} s`;
        ui.countdown.hidden = false;
      };
      // Said once, for a screen reader; the countdown beside it changes each second, silently.
      setStatus(`Waiting ${this.timeout} seconds for you to press a key or say something.`);
      show();
      this.timer = setInterval(() => {
        left -= 1;
        if (left <= 0) { this.stopCountdown(); this.silence(); } else show();
      }, 1000);
    }

    stopCountdown() {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      ui.countdown.hidden = true;
    }
  }

  // One caller in one queue. Nobody else is in a practice queue, so the page makes it up as the
  // terminal phone does: the caller joins at the place chosen, and the caller ahead of them is
  // answered every `config.queueTurn` seconds of the call's simulated time.
  class Queue {
    constructor(call, verb, answer) {
      const method = (name) => (verb.getAttribute(name) || "POST").toUpperCase();
      this.call = call;
      this.name = normalise(verb.textContent);
      const action = verb.getAttribute("action");
      this.action = action === null ? null : { url: new URL(action, answer.url).href, method: method("method") };
      this.waitStep = { url: new URL(verb.getAttribute("waitUrl"), answer.url).href, method: method("waitUrlMethod"), inputs: {} };
      this.sid = newTwilioSid("QU");
      this.joined = call.clock;
      this.startPlace = queuePlace();
      this.shown = "";
      this.done = false;
    }

    seconds() { return this.call.clock - this.joined; }

    place() { return Math.max(1, this.startPlace - Math.floor(this.seconds() / config.queueTurn)); }

    // What Twilio tells the helpline about the wait, with every request while waiting.
    figures() {
      return {
        QueueSid: this.sid, QueuePosition: String(this.place()),
        QueueTime: String(Math.floor(this.seconds())),
        AvgQueueTime: String(this.startPlace * config.queueTurn),
        CurrentQueueSize: String(this.place()),
      };
    }

    // A line for the place and time waited, when either has changed.
    show() {
      const values = { place: String(this.place()), waited: waited(this.seconds()) };
      const shown = `${values.place} ${Math.floor(this.seconds() / 60)}`;
      if (shown === this.shown) return;
      this.shown = shown;
      this.call.line("wait", values);
      setStatus(`In the queue: place ${values.place}, waited ${values.waited}.`);
    }

    // Wait documents, one after another, until one leaves: "leave", "error" (the wait URL
    // failed: Twilio tells the action and goes on), or null once the call has ended.
    async wait() {
      let step = this.waitStep;
      for (let turn = 0; turn < MAX_WAIT_TURNS; turn++) {
        this.show();
        const answer = await this.call.fetch({ ...step, inputs: { ...step.inputs, ...this.figures() } });
        if (this.call.ended) return null;
        if (!answer) return "error";
        const found = await this.document(answer);
        if (this.call.ended) return null;
        if (found === "leave") return found;
        step = found || this.waitStep;
      }
      this.call.problem(`still waiting after ${MAX_WAIT_TURNS} turns of the wait: stopped`);
      await this.call.end("error");
      return null;
    }

    // One wait document: the next request (a key's, a Redirect's), "leave", or null.
    async document(answer) {
      for (const verb of answer.root.children) {
        if (verb.nodeName === "Leave") return "leave";
        if (!["Say", "Play", "Pause", "Hangup", "Gather", "Redirect"].includes(verb.nodeName)) {
          this.call.problem(`<${verb.nodeName}> cannot be used while waiting in a queue`);
          await this.call.end("error");
          return null;
        }
        const next = await this.call.verb(verb, answer);
        if (next || this.call.ended) return next;
      }
      return null;
    }

    // Out of the queue: the request for its action (null without one: the document goes on).
    left(how) {
      if (this.done) return null;
      this.done = true;
      this.call.line("queue-left", { text: how, waited: waited(this.seconds()) });
      if (!this.action) return null;
      const inputs = { QueueResult: how, QueueSid: this.sid, QueueTime: String(Math.floor(this.seconds())) };
      return { ...this.action, inputs };
    }
  }

  // The caller's message at a <Record>. From the keys to press it is made up, as on the
  // terminal phone; live, it comes from the microphone where the browser allows it, and is kept
  // only in this page (a blob: URL, dropped at the next call or when the page closes): it is
  // never sent, and the helpline is told of the stand-in clip. Without a microphone the message
  // is timed alone. A finish key ends it; under a second is nothing.
  class Recording {
    constructor(call, options) {
      this.call = call;
      this.options = options;
      this.result = new Promise((resolve) => { this.resolve = resolve; });
      this.settled = false;
      this.began = 0;
      this.media = null;
      this.timer = null;
    }

    async take() {
      const token = this.call.nextScripted();
      if (token !== null) return this.scripted(token);
      beep(this.options.beep);
      this.began = Date.now();
      this.media = await microphone();
      if (this.settled || this.call.ended) { if (this.media) this.media.stop(); return this.result; }
      const how = this.media ? "from the microphone" : "(no microphone here: a stand-in is sent)";
      setStatus(`Recording ${how}: speak, then press ${this.finishName()} to finish.`);
      this.timer = setTimeout(() => this.finish(""), this.options.maxLength * 1000);
      return this.result;
    }

    finishName() {
      const { finish } = this.options;
      return finish === ANY_KEY ? "any key" : Array.from(finish, (k) => KEY_NAMES[k] || k).join(" or ");
    }

    scripted(token) {
      const { finish, maxLength } = this.options;
      if (token === ".") {
        if (!this.call.silent) this.call.remember(".");
        return Promise.resolve(null);
      }
      const seconds = isKeys(token) ? STAND_IN_SECONDS : Math.max(1, Math.round(words(token) / 2.5));
      const key = isKeys(token) ? Array.from(token).find((k) => finish.includes(k)) || ""
        : finish.includes("#") ? "#" : finish.charAt(0);
      this.call.remember(token);
      return Promise.resolve({ seconds: Math.min(seconds, maxLength), key, words: isKeys(token) ? "" : token, audio: "" });
    }

    key(key) {
      if (this.options.finish.includes(key)) this.finish(key);
    }

    async finish(key) {
      if (this.settled) return;
      const seconds = Math.min(Math.round((Date.now() - this.began) / 1000), this.options.maxLength);
      this.call.remember(seconds >= 1 ? `${key || "#"}` : ".");
      const audio = this.media ? await this.media.stop() : "";
      if (seconds < 1) { if (audio) URL.revokeObjectURL(audio); this.settle(null); return; }
      if (audio) keptRecordings.push(audio);
      this.settle({ seconds, key, words: "", audio });
    }

    settle(message) {
      if (this.settled) return;
      this.settled = true;
      clearTimeout(this.timer);
      if (!message && this.media) this.media.stop();
      this.resolve(message);
    }
  }

  // Recordings made on this page, dropped when the next call starts.
  const keptRecordings = [];

  // The microphone, recording: { stop() -> a blob: URL }; null where the browser has none or the
  // tester says no.
  async function microphone() {
    if (!navigator.mediaDevices || !window.MediaRecorder) return null;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      return null;
    }
    const recorder = new MediaRecorder(stream);
    const chunks = [];
    recorder.ondataavailable = (event) => chunks.push(event.data);
    const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
    recorder.start();
    let url = null;
    return {
      async stop() {
        if (url === null) {
          url = "";
          if (recorder.state !== "inactive") recorder.stop();
          await stopped;
          stream.getTracks().forEach((track) => track.stop());
          url = URL.createObjectURL(new Blob(chunks, { type: recorder.mimeType }));
        }
        return url;
      },
    };
  }

  // The tone before a recording, where the browser can play one.
  function beep(wanted) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!wanted || !Context) return;
    try {
      const context = new Context();
      const tone = context.createOscillator();
      tone.frequency.value = 880;
      tone.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.3);
      tone.onended = () => context.close();
    } catch { /* no audio device: the status line says to speak */ }
  }

  // --- the page ------------------------------------------------------------------------------

  function chosenLanguage() {
    const select = document.getElementById("language");
    return select ? select.value : ""; // "": the line's first language (or it offers one)
  }

  function scriptTokens(text) {
    // The terminal phone's syntax: keys, "." for silence, words in quotes for speech.
    const tokens = [];
    const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
    let match;
    while ((match = pattern.exec(text))) tokens.push(match[1] ?? match[2] ?? match[3]);
    return tokens;
  }

  function shareUrl(current) {
    const params = new URLSearchParams();
    if (current.startCode) params.set("start", current.startCode);
    if (chosenLanguage()) params.set("language", chosenLanguage());
    const plain = (t) => /^[0-9*#.]+$/.test(t) || SILENT_FOR.test(t);
    const tokens = current.inputs.map((t) => (plain(t) ? t : `"${t.replace(/"/g, "")}"`));
    params.set("keys", tokens.join(" "));
    params.set("dial", dialOutcome());
    if (queuePlace() !== 1) params.set("place", String(queuePlace()));
    return `${location.origin}${location.pathname}?${params}`;
  }

  function updateShare(current) {
    ui.share.href = shareUrl(current);
    ui.share.hidden = false;
    ui.copy.hidden = !navigator.clipboard;
  }

  function finished(current, how) {
    if (call === current) call = null;
    ui.call.textContent = "Call the helpline";
    ui.call.classList.remove("hang-up");
    ui.skip.disabled = true;
    setStatus(how === "error" ? "The call stopped because of a problem (see the transcript)." : "Call ended.");
  }

  function placeCall() {
    const code = ui.start.value;
    const language = chosenLanguage();
    const start = code ? config.entries[code] : config.incoming;
    // The webhook's own URL names the language, as a number of its own would (?l=cy-GB).
    const path = language ? `${start}?l=${encodeURIComponent(language)}` : start;
    ui.transcript.replaceChildren();
    keptRecordings.splice(0).forEach((url) => URL.revokeObjectURL(url));
    ui.now.textContent = "";
    const current = new Call(path, scriptTokens(ui.keys.value), code);
    call = current;
    ui.call.textContent = "Hang up";
    ui.call.classList.add("hang-up");
    ui.skip.disabled = false;
    updateShare(current);
    setStatus("Calling the helpline.");
    current.run();
  }

  function press(key) {
    const button = ui.keypad.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (button) {
      button.classList.add("pressed");
      setTimeout(() => button.classList.remove("pressed"), 150);
    }
    if (call) call.press(key);
    else setStatus("Press Call the helpline first.");
  }

  ui.call.addEventListener("click", (event) => {
    // The second click of a double click would hang up the call it has just placed.
    if (event.detail > 1) return;
    if (call) call.hangUp();
    else placeCall();
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault(); // Enter in a call option places the call, as the button does
    if (!call) placeCall();
  });
  ui.keypad.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-key]");
    if (button) press(button.dataset.key);
  });
  document.addEventListener("keydown", (event) => {
    // Digits typed into a text box or a list belong there; on buttons and radios they are keys.
    const typing = event.target instanceof Element
      && event.target.closest("input:not([type=radio]):not([type=checkbox]), select, textarea");
    if (typing || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^[0-9*#]$/.test(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });
  ui.skip.addEventListener("click", () => { if (call) call.skip(); });
  ui.speech.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = normalise(ui.words.value);
    if (!text) return;
    if (call) call.sayWords(text);
    else setStatus("Press Call the helpline first.");
    ui.words.value = "";
  });
  ui.copy.addEventListener("click", () => {
    navigator.clipboard.writeText(ui.share.href).then(
      () => setStatus("The link is copied."),
      () => setStatus("The link could not be copied: use the link itself."),
    );
  });

  // Speaking into a microphone, where the browser can recognise speech.
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (Recognition) {
    ui.listen.hidden = false;
    ui.listen.addEventListener("click", () => {
      const recognition = new Recognition();
      recognition.lang = "en-GB";
      recognition.onresult = (event) => {
        const text = normalise(event.results[0][0].transcript);
        if (text && call) call.sayWords(text);
      };
      recognition.onerror = (event) => setStatus(`Speech was not recognised (${event.error}).`);
      recognition.onend = () => {
        if (ui.status.textContent === "Listening: speak now.") setStatus("Nothing was heard.");
      };
      setStatus("Listening: speak now.");
      recognition.start();
    });
  }

  // Browsers load their voices on first asking: ask now, so the first <Say> has one.
  if (window.speechSynthesis) window.speechSynthesis.getVoices();
  ui.phone.hidden = false;
  document.documentElement.classList.add("js");
})();
