// Entry point: mounts the app shell into #app. Kept to the mount call so the whole UI
// stays testable through its components without a running webview.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

export default mount(App, { target });
