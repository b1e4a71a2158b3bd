import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { createApp } from "./api/transport";
import "./styles/app.css";

const app = createApp(window.location.origin);
app.session.start();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App app={app} />
  </StrictMode>,
);
